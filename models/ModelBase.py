"""Training framework shared by every model (reference §3.0): model choice, devices, options, files, iterations.

Construction follows the original's order: choose or create the model name, load `data.dat`, choose devices, load
`<Class>_default_options.dat`, ask the options (`on_initialize_options`), save the default options on a first run,
build the networks and generators (`on_initialize`), then print and write the summary.

A subclass (models/Model_<Name>/Model.py) implements:
* `on_initialize_options()`: calls `self.ask_option(name)` for each option, in prompt order (conditions in code);
* `on_initialize()`: builds networks, sets `self.model_filename_list` = [(saveable, 'part.npy', required)] and
  calls `self.load_parts()`, and `self.set_training_data_generators([...])` when training;
* `on_train_one_iter()` -> [('src_loss', float), ('dst_loss', float)];
* `on_get_preview(samples, for_history=False)` -> [(name, bgr float32 0..1 image)].
Option values of a saved model persist; only overridable options can change on later runs.
A model with `FORCE_MODEL_CLASS_NAME` (XSeg) has no user-chosen name: one model per folder, files `<that name>_*`.
"""
import abc
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

from core import interact
from core.errors import UserError
from core.options import value_text
from models import model_files


def wait_for_enter(seconds):
    """True when the user presses Enter within `seconds` (only asked at a terminal)."""
    if not interact.is_interactive():
        return False
    interact.log_info(f"Press enter in {seconds:g} seconds to override model settings.")
    if os.name == "nt":
        import msvcrt
        end = time.time() + seconds
        while time.time() < end:
            if msvcrt.kbhit() and msvcrt.getwch() in "\r\n":
                return True
            time.sleep(0.05)
        return False
    import select
    ready, _, _ = select.select([sys.stdin], [], [], seconds)
    if ready:
        sys.stdin.readline()
        return True
    return False


def _samples_as_nhwc(samples):
    """Preview samples saved by a GPU run of the original are NCHW; we keep them NHWC."""
    if not isinstance(samples, list):
        return None
    out = []
    for batch in samples:
        if not isinstance(batch, (list, tuple)):
            return None
        conv = []
        for a in batch:
            a = np.asarray(a, np.float32)
            if a.ndim == 4 and a.shape[1] in (1, 3) and a.shape[-1] not in (1, 3):
                a = a.transpose(0, 2, 3, 1)
            conv.append(a)
        out.append(conv)
    return out


def choose_model_name(model_dir, cls, force_name=None, silent_start=False):
    """The original's model list: index choice, `r` rename, `d` delete, or a new name. Returns the name."""
    if force_name:
        return model_files.clean_name(force_name)
    while True:
        names = model_files.list_model_names(model_dir, cls)
        if silent_start:
            if names:
                interact.log_info(f"Silent start: choosed model \"{names[0]}\"")
                return names[0]
            return "new"
        if not names:
            return model_files.clean_name(interact.input_str(
                "No saved models found. Enter a name of a new model", "new",
                help_message="Model names cannot contain '_'.")) or "new"
        if not interact.is_interactive():
            interact.log_info(f"Using the latest model \"{names[0]}\" (pass --force-model-name to choose another).")
            return names[0]
        interact.log_info("Choose one of saved models, or enter a name to create a new model.")
        interact.log_info("[r] : rename")
        interact.log_info("[d] : delete")
        interact.log_info("")
        for i, n in enumerate(names):
            interact.log_info(f"[{i}] : {n}" + (" - latest" if i == 0 else ""))
        text = interact.input_str("Model", "0", help_message="Index of a model, r, d, or a new model's name.")
        text = text.strip()
        if text in ("r", "d"):
            if len(names) == 1:
                idx = 0
            else:
                idx = interact.input_int(f"Enter the index of the model to {'rename' if text == 'r' else 'delete'}",
                                         0, (0, len(names) - 1))
            if text == "r":
                new = interact.input_str("Enter new name of the model", names[idx])
                model_files.rename_model(model_dir, cls, names[idx], new)
            elif interact.input_bool(f"Delete model \"{names[idx]}\" and all its files", False):
                model_files.delete_model(model_dir, cls, names[idx])
            continue
        if text.isdigit():
            idx = int(text)
            if idx < len(names):
                return names[idx]
            interact.log_err(f"There is no model with index {idx}.")
            continue
        name = model_files.clean_name(text)
        if name:
            return name


class _Conflict(ValueError):
    """An answer that conflicts with a flag given for an option depending on it."""


class SamplePrefetch:
    """The next batch of `generators`, fetched by a background thread (TensorFlow steps release the GIL)."""

    def __init__(self, generators):
        self.generators = generators
        self.batch, self.error = None, None
        self.thread = threading.Thread(target=self._fetch, name="sample prefetch", daemon=True)
        self.thread.start()

    def _fetch(self):
        try:
            self.batch = [next(g) for g in self.generators]
        except BaseException as e:  # noqa: BLE001 - raised where the batch is taken
            self.error = e

    def get(self, generators):
        """The batch, or None when `generators` are no longer the ones it was fetched from."""
        self.thread.join()
        if len(generators) != len(self.generators) or any(a is not b for a, b in zip(generators, self.generators)):
            return None
        if self.error is not None:
            raise self.error
        return self.batch


class ModelBase(abc.ABC):
    #: declared options of the model (set from the model folder's options.py)
    OPTIONS = ()
    #: class name used in file names; by default <Name> of the package models.Model_<Name>
    NAME = None
    #: the original's force_model_class_name: no name is chosen and the files are `<this>_data.dat`, ...
    FORCE_MODEL_CLASS_NAME = None
    #: options `merge` asks for this model (its options.py `MERGE_OPTIONS`); answers in `merge_options`
    MERGE_OPTIONS = ()
    merge_options = None

    def __init__(self, model_dir, is_training=True, training_data_src_path=None, training_data_dst_path=None,
                 pretraining_data_path=None, pretrained_model_path=None, force_model_name=None,
                 force_gpu_idxs=None, cpu_only=False, silent_start=False, option_values=None, debug=False,
                 override_wait_seconds=2.0, mixed_precision=False, cluster=None):
        self.model_class_name = self.NAME or type(self).__module__.split(".")[-2][len("Model_"):]
        self.model_dir = Path(model_dir)
        if not self.model_dir.is_dir():
            if not is_training:
                raise UserError(f"model folder {self.model_dir} does not exist")
            self.model_dir.mkdir(parents=True)
        self.is_training = is_training
        self.training_data_src_path = training_data_src_path
        self.training_data_dst_path = training_data_dst_path
        self.pretraining_data_path = pretraining_data_path
        self.pretrained_model_path = Path(pretrained_model_path) if pretrained_model_path else None
        self.debug = debug
        self._decls = {o.name: o for o in self.OPTIONS}
        self._flags = {k: v for k, v in (option_values or {}).items() if v is not None}
        unknown = sorted(set(self._flags) - set(self._decls))
        if unknown:
            raise UserError(f"{self.model_class_name} has no option "
                            + ", ".join("--" + k.replace("_", "-") for k in unknown))
        self._consumed = set()

        # 1-2. name and saved state
        if self.FORCE_MODEL_CLASS_NAME:
            if force_model_name:
                raise UserError(f"--force-model-name: {self.model_class_name} models have no name (one per folder, "
                                f"files {self.FORCE_MODEL_CLASS_NAME}_*); leave the flag out")
            self.model_name = self.full_name = self.FORCE_MODEL_CLASS_NAME
        else:
            self.model_name = choose_model_name(self.model_dir, self.model_class_name, force_model_name,
                                                silent_start)
            self.full_name = f"{self.model_name}_{self.model_class_name}"
        self.file_prefix = f"{self.full_name}_"
        self.model_data_path = self.model_dir / f"{self.file_prefix}data.dat"
        note = model_files.recover_save(self.model_dir, self.file_prefix)
        if note:
            interact.log_info(f"{self.full_name}: {note}.")
        data = model_files.read_data(self.model_data_path)
        if data is None and not is_training:
            raise UserError(f"no trained {self.model_class_name} model named \"{self.model_name}\" in "
                            f"{self.model_dir}: train one first")
        self.first_run = data is None
        if self.first_run:
            interact.log_info(f"Creating new model \"{self.model_name}\" ({self.model_class_name}).")
            data = {"iter": 0, "options": {}, "loss_history": [], "sample_for_preview": None,
                    "choosed_gpu_indexes": None}
        else:
            interact.log_info(f"Loading {self.full_name} model...")
        self.iter = data["iter"]
        self.options = dict(data["options"])
        self.loss_history = data["loss_history"]
        self.sample_for_preview = _samples_as_nhwc(data["sample_for_preview"])
        self.choosed_gpu_indexes = data["choosed_gpu_indexes"]

        # 3. devices
        self.device_config = self._choose_devices(cpu_only, force_gpu_idxs, silent_start)
        self.choosed_gpu_indexes = [d.index for d in self.device_config.devices] or None
        from core.leras import device
        self.leras = device.initialize(self.device_config, mixed_precision=mixed_precision, cluster=cluster)

        # 4-6. options
        self.default_options_path = model_files.default_options_path(self.model_dir, self.model_class_name)
        self.default_options = model_files.read_options(self.default_options_path) if self.first_run else {}
        self.ask_override = (is_training and not self.first_run and not silent_start
                             and wait_for_enter(override_wait_seconds))
        if silent_start:
            interact.set_non_interactive(True)
        self.choose_preview_history = False
        self.on_initialize_options()
        unused = sorted(set(self._flags) - self._consumed)
        if unused:
            raise UserError(f"{', '.join('--' + k.replace('_', '-') for k in unused)}: not used by this "
                            f"{self.model_class_name} model with its other settings; leave the flag out")
        if self.first_run and is_training and self.leras.is_chief:
            model_files.write_options(self.default_options_path, self.options)

        self.autobackup_hour = int(self.options.get("autobackup_hour", 0))
        self.write_preview_history = bool(self.options.get("write_preview_history", False))
        self.target_iter = int(self.options.get("target_iter", 0))
        self.model_filename_list = []
        self.generator_list = []
        self.last_sample = None
        self._prefetch = None
        self.loss_names = None   # set by the first training step, e.g. ['src_loss', 'dst_loss']

        # 7. networks, weights, generators
        self.on_initialize()
        if self.leras.cluster is not None:
            self._start_from_chief()

        # 8. folders
        self.preview_history_path = self.model_dir / f"{self.file_prefix}history"
        self.autobackups_path = self.model_dir / f"{self.file_prefix}autobackups"
        if is_training:
            if self.write_preview_history and self.leras.is_chief:
                self.preview_history_path.mkdir(exist_ok=True)
            if self.generator_list and self.choose_preview_history:
                from mainscripts.PreviewChooser import choose_preview_sample
                self.sample_for_preview = choose_preview_sample(
                    self.generate_next_samples, lambda samples: self.on_get_preview(samples, for_history=True))
            elif self.generator_list and self.sample_for_preview is None:
                self.sample_for_preview = self.generate_next_samples()
            # 9. summary
            text = self.summary_text()
            interact.log_info(text)
            if self.leras.is_chief:
                model_files.write_summary(self.get_strpath_storage_for_file("summary.txt"), text)

    def _start_from_chief(self):
        """Several machines: every worker continues from the chief's weights, optimizer state and iteration."""
        import tensorflow as tf

        from core.leras import training
        variables = [v for saveable, _, _ in self.model_filename_list for v in saveable.get_weights()]
        with self.leras.strategy.scope():
            iter_var = tf.Variable(self.iter, dtype=tf.int64, trainable=False)
        try:
            training.broadcast_from_chief(self.leras.strategy, variables + [iter_var])
        except ValueError as e:
            raise UserError(f"worker {self.leras.cluster.index}: {e}; start every worker with the same model "
                            f"options (copy the chief's model folder to each machine)")
        self.set_iter(int(iter_var.numpy()))

    def _choose_devices(self, cpu_only, force_gpu_idxs, silent_start):
        from core.leras import device
        if cpu_only:
            return device.DeviceConfig.CPU()
        if force_gpu_idxs is not None:
            return device.DeviceConfig.GPUIndexes(force_gpu_idxs)
        if silent_start:
            if self.choosed_gpu_indexes:
                return device.DeviceConfig.GPUIndexes(list(self.choosed_gpu_indexes))
            return device.DeviceConfig.BestGPU()
        return device.ask_choose_device(suggest_best_multi_gpu=True)

    # ---- options -------------------------------------------------------------------------------------------
    def ask_option(self, name, default=None, validate=None):
        """Ask (first run / override) or keep (later run) one option; flags answer the prompt. Returns the value.

        `validate(value)` may return a corrected value or raise ValueError (asked again at a terminal).
        An option declared with `requires` is asked only when the option it depends on allows it (else it takes
        the declared `otherwise` value). The answer to this option must not conflict with the flags given for the
        options that depend on it: such an answer is refused here, with the reason, and a default that would
        conflict is replaced by the first compatible choice."""
        decl = self._decls[name]
        req = decl.requires
        if req is not None and req.on in self.options and not req.test(self.options[req.on]):
            return self._skip_option(name, default)
        dependents = self._dependent_flags(name)
        if dependents:
            default = self._compatible_default(name, default, dependents)
        while True:
            fixed = self._is_fixed(name)
            value = self._ask_option_once(name, default, exact_default=bool(dependents))
            try:
                if validate is not None:
                    value = validate(value)
                for dep, flag_value in dependents:
                    if not dep.requires.test(value):
                        raise _Conflict(dep.requires.conflict(dep, flag_value, value))
            except ValueError as e:
                if isinstance(e, _Conflict) and (fixed or name in self._flags or not interact.is_interactive()):
                    raise UserError(f"{decl.prompt.rstrip('?.')} ({decl.flag}): {e}")
                if name in self._flags or not interact.is_interactive():
                    raise UserError(f"{decl.flag}: {e}")
                interact.log_err(f"{e}. Try again.")
                continue
            self.options[name] = value
            return value

    def _dependent_flags(self, name):
        """[(declaration, flag value)] of the flags given for options that are used only for some answers to `name`
        and whose value differs from what the model would take without asking them."""
        out = []
        for dep in self.OPTIONS:
            if dep.requires is not None and dep.requires.on == name and dep.name in self._flags:
                value = dep.parse(self._flags[dep.name])
                if not dep.requires.accepts(value):
                    out.append((dep, value))
        return out

    def _compatible_default(self, name, default, dependents):
        decl = self._decls[name]
        base = self._default_for(name, default)
        if decl.choices is None or all(dep.requires.test(base) for dep, _ in dependents):
            return base
        for choice in decl.choices:
            if all(dep.requires.test(choice) for dep, _ in dependents):
                needs = "; ".join(f"{dep.flag} {value_text(v)} needs {dep.requires.needs}" for dep, v in dependents)
                interact.log_info(f"{decl.prompt}: default {choice} instead of {base} ({needs})")
                return choice
        return base

    def _skip_option(self, name, default):
        """An option not used with the current answers: its `otherwise` value, else the saved or default one."""
        decl = self._decls[name]
        if name in self._flags:
            value = decl.parse(self._flags[name])
            if not decl.requires.accepts(value):
                on = self._decls[decl.requires.on]
                raise UserError(f"{on.prompt.rstrip('?.')} ({on.flag}): "
                                + decl.requires.conflict(decl, value, self.options[on.name]))
            self._consumed.add(name)
        if decl.requires.otherwise is not None:
            return self.set_option(name, self._coerce(decl, decl.requires.otherwise))
        return self.keep_option(name, default)

    def ask_choose_preview_history(self):
        """"Choose image for the preview history", as the original: asked with the options (new model, override or
        flag) when preview history is written; acted on once at start, not saved with the options."""
        if self.first_run or self.ask_override or self.has_flag("choose_preview_history"):
            self.ask_option("choose_preview_history")
            self.choose_preview_history = bool(self.options.pop("choose_preview_history")) and self.is_training

    def has_flag(self, name):
        """True when the command line gave a value for option `name`."""
        return name in self._flags

    def ask_merge_options(self, values=None):
        """Ask the merge-time options (`values`: flag values by name); returns and keeps them in `merge_options`."""
        values = {k: v for k, v in (values or {}).items() if v is not None}
        unknown = sorted(set(values) - {o.name for o in self.MERGE_OPTIONS})
        if unknown:
            raise UserError(f"{', '.join('--' + k.replace('_', '-') for k in unknown)}: {self.model_class_name} "
                            f"models have no such merge option; leave the flag out")
        self.merge_options = {o.name: o.ask(values.get(o.name)) for o in self.MERGE_OPTIONS}
        return self.merge_options

    def keep_option(self, name, default=None):
        """An option not asked in this configuration: the saved value, else `default` (else the declared one)."""
        decl = self._decls[name]
        if name in self.options:
            value = self._saved(decl, self.options[name], self.model_data_path)
        else:
            value = self._coerce(decl, decl.default if default is None else default)
        self.options[name] = value
        return value

    def _default_for(self, name, default):
        """The default offered when the option is asked: a new model's saved defaults, else `default`/declared."""
        decl = self._decls[name]
        if self.first_run and name in self.default_options:
            return self._saved(decl, self.default_options[name], self.default_options_path)
        if not self.first_run and self.options.get(name) is not None:
            return self._saved(decl, self.options[name], self.model_data_path)
        return self._coerce(decl, decl.default if default is None else default)

    def _is_fixed(self, name):
        """True when a later run keeps the saved value without asking (and a flag cannot change it)."""
        decl = self._decls[name]
        return (not self.first_run and self.options.get(name) is not None
                and not (decl.overridable and (self.ask_override or name in self._flags)))

    def _ask_option_once(self, name, default, exact_default=False):
        decl = self._decls[name]
        flag = self._flags.get(name)
        if flag is not None:
            self._consumed.add(name)
        saved = self.options.get(name)
        if exact_default and not self._is_fixed(name):
            value = decl.ask(flag, self._coerce(decl, default))
        elif self.first_run:
            if name in self.default_options:
                base = self._saved(decl, self.default_options[name], self.default_options_path)
            else:
                base = self._coerce(decl, decl.default if default is None else default)
            value = decl.ask(flag, base)
        elif saved is None:
            value = decl.ask(flag, self._coerce(decl, decl.default if default is None else default))
        elif decl.overridable and (self.ask_override or flag is not None):
            value = decl.ask(flag, self._saved(decl, saved, self.model_data_path))
        else:
            value = self._saved(decl, saved, self.model_data_path)
            if flag is not None and decl.ask(flag, value) != value:
                raise UserError(f"{decl.flag}: '{decl.prompt}' is set when a model is created; this model keeps "
                                f"{value} (start a new model to change it)")
        self.options[name] = value
        return value

    def set_option(self, name, value):
        """A value the model decides itself (not asked), saved with the options."""
        self.options[name] = value
        return value

    @staticmethod
    def _coerce(decl, v):
        if decl.kind == "int":
            return int(v)
        if decl.kind == "float":
            return float(v)
        if decl.kind == "bool":
            return bool(v)
        return str(v)

    @staticmethod
    def _saved(decl, v, source):
        """A value read from a model file, checked against the option's type and range as a flag would be."""
        try:
            return decl.validate(v)
        except ValueError as e:
            raise UserError(f"{source}: saved option {decl.name}: {e}; the file is damaged or not from DeepFaceLab "
                            f"(start a new model or restore the file from a backup)")

    # ---- hooks ---------------------------------------------------------------------------------------------
    def on_initialize_options(self):
        pass

    @abc.abstractmethod
    def on_initialize(self):
        """Build networks, set `model_filename_list`, load parts, set generators."""

    @abc.abstractmethod
    def on_train_one_iter(self):
        """One step; returns [(loss name, value), ...]."""

    @abc.abstractmethod
    def on_get_preview(self, samples, for_history=False):
        """[(name, bgr float32 0..1 image)] for a batch list as returned by generate_next_samples."""

    def preview_history_period(self):
        return 10

    # ---- files ---------------------------------------------------------------------------------------------
    def get_strpath_storage_for_file(self, filename):
        return str(self.model_dir / f"{self.file_prefix}{filename}")

    def load_parts(self):
        """Load every (saveable, file, required) part, or initialise them on a first run / for optional parts."""
        for saveable, filename, required in self.model_filename_list:
            path = Path(self.get_strpath_storage_for_file(filename))
            if self.first_run or not path.exists():
                pre = self.pretrained_model_path / filename if self.pretrained_model_path else None
                if pre is not None and pre.exists():
                    self._load_part(saveable, pre)
                    continue
                if not self.first_run and required:
                    raise UserError(f"{path} is missing: "
                                    + model_files.describe_copies(self.model_dir, self.file_prefix, filename))
                if not self.first_run:
                    interact.log_info(f"{path.name} not found: {filename[:-4]} starts from fresh values.")
                saveable.init_weights()
            else:
                self._load_part(saveable, path)

    @staticmethod
    def _load_part(saveable, path):
        # core.leras raises a one-line UserError naming the file for unreadable files or wrong shapes.
        saveable.load_weights(str(path))

    def save(self):
        """Save every part and data.dat as one set (see models.model_files): a kill or a full disk at any point
        leaves the previous save or this one, never a mix. Only the chief writes when several machines train."""
        if not self.leras.is_chief:
            return
        from core.leras import weights
        saveset = model_files.SaveSet(self.model_dir, self.file_prefix, self.iter)
        try:
            for saveable, filename, _ in self.model_filename_list:
                saveset.add(filename, weights.encode_weights(saveable))
            saveset.add("data.dat", model_files.data_bytes(self.iter, self.options, self.loss_history,
                                                           self.sample_for_preview, self.choosed_gpu_indexes))
        except BaseException:
            saveset.abort()
            raise
        saveset.commit()
        model_files.write_summary(self.get_strpath_storage_for_file("summary.txt"), self.summary_text())

    def create_backup(self):
        """Save, then rotate `_autobackups/01..24` (newest = 01) with the model files and preview images."""
        import cv2
        if not self.leras.is_chief:
            return None
        interact.log_info("Creating backup...")
        self.save()
        files = [self.get_strpath_storage_for_file(f) for _, f, _ in self.model_filename_list]
        files += [self.get_strpath_storage_for_file("summary.txt"), str(self.model_data_path),
                  str(model_files.saveset_path(self.model_dir, self.file_prefix))]
        images = []
        for name, bgr in self.get_previews():
            ok, buf = cv2.imencode(".jpg", np.clip(bgr * 255, 0, 255).astype(np.uint8))
            if ok:
                images.append((f"preview_{name}.jpg", buf.tobytes()))
        return model_files.rotate_backups(self.autobackups_path, files, images)

    # ---- training ------------------------------------------------------------------------------------------
    def set_training_data_generators(self, generator_list):
        self.generator_list = list(generator_list)

    @property
    def generator_batch_size(self):
        """Samples this process generates per step: the batch, or this worker's share when several machines train."""
        return self.leras.local_batch(self.batch_size)

    def generate_next_samples(self):
        """The next batch of every generator. The batch after it is fetched at once in the background (from the
        generators' worker processes, or built here with --debug) while this one trains, so steps don't wait."""
        gens = list(self.generator_list)
        ready = self._prefetch.get(gens) if self._prefetch is not None else None
        self.last_sample = ready if ready is not None else [next(g) for g in gens]
        self._prefetch = SamplePrefetch(gens)
        return self.last_sample

    def get_iter(self):
        return self.iter

    def set_iter(self, iter):
        self.iter = iter
        self.loss_history = self.loss_history[:iter]

    def get_loss_history(self):
        return self.loss_history

    def is_reached_iter_goal(self):
        return self.target_iter != 0 and self.iter >= self.target_iter

    def train_one_iter(self):
        """One training step; returns (iter, seconds). Appends the losses and writes preview history on schedule."""
        t0 = time.time()
        losses = self.on_train_one_iter()
        iter_time = time.time() - t0
        self.loss_names = [name for name, _ in losses]
        self.loss_history.append([float(v) for _, v in losses])
        if self.write_preview_history and self.leras.is_chief and self.iter % self.preview_history_period() == 0:
            self.write_history_previews()
        self.iter += 1
        return self.iter, iter_time

    def write_history_previews(self):
        from core.cv2ex import cv2_imwrite
        from models import preview_image
        self.preview_history_path.mkdir(exist_ok=True)
        for i, (name, bgr) in enumerate(self.get_history_previews()):
            img = preview_image.compose(bgr, self.loss_history, self.iter, name)
            suffix = "" if i == 0 else f"_{i}"
            cv2_imwrite(self.preview_history_path / f"{self.iter:07d}{suffix}.jpg", img)

    def get_previews(self):
        return self.on_get_preview(self.last_sample or self.sample_for_preview)

    def get_history_previews(self):
        return self.on_get_preview(self.sample_for_preview, for_history=True)

    def finalize(self):
        for g in self.generator_list:
            close = getattr(g, "close", None)
            if close:
                close()

    # ---- summary -------------------------------------------------------------------------------------------
    def summary_text(self):
        if self.device_config.cpu_only:
            lines = [("Using device", "CPU")]
        else:
            lines = []
            for d in self.device_config.devices:
                lines += [("Device index", str(d.index)), ("Name", d.name), ("VRAM", f"{d.total_mem_gb:.2f}GB")]
        return model_files.summary_text(self.full_name, self.iter, self.options, lines)
