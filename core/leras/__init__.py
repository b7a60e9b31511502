"""core.leras: the layer library under every model (TensorFlow 2 eager + tf.Module/tf.Variable + tf.nn ops).

Importing `core.leras` itself imports nothing heavy; the submodules below import TensorFlow, so import them only
inside command handlers (never from anything `main.py --help` imports). `core.leras.device` is TensorFlow-free
until `initialize()`.

API note (for models/, merger/, facelib/):

    from core.leras import device
    idxs = device.ask_choose_device_idxs(suggest_best_multi_gpu=True, value=args.gpu)  # [] = CPU
    ctx = device.initialize(device.DeviceConfig.GPUIndexes(idxs), mixed_precision=False)
    # ctx.data_format ('NHWC' CPU / 'NCHW' GPU, already set globally), ctx.compute_dtype, ctx.strategy, ctx.scope()

    from core.leras.archi import DeepFakeArchi, parse_archi
    from core.leras import optimizers, losses, ops, training, weights, predictors
    archi_type, opts = parse_archi("liae-ud")
    archi = DeepFakeArchi(resolution, opts, compute_dtype=ctx.compute_dtype)
    with ctx.scope():                                   # variables of models AND optimizers
        encoder = archi.Encoder(in_ch=3, e_ch=e_dims, name="encoder")
        enc_out_ch = encoder.get_out_ch() * encoder.get_out_res(resolution) ** 2
        inter_AB = archi.Inter(in_ch=enc_out_ch, ae_ch=ae_dims, ae_out_ch=ae_dims * 2, name="inter_AB")
        inter_B = archi.Inter(in_ch=enc_out_ch, ae_ch=ae_dims, ae_out_ch=ae_dims * 2, name="inter_B")
        decoder = archi.Decoder(in_ch=ae_dims * 4, d_ch=d_dims, d_mask_ch=d_mask_dims, name="decoder")
        for m in (encoder, inter_AB, inter_B, decoder):
            m.build()                                   # creates variables (glorot/zeros as the original)
        opt = optimizers.AdaBelief(lr=5e-5, lr_dropout=1.0, lr_cos=0, clipnorm=0.0, name="src_dst_opt")
        opt.initialize_variables([encoder, inter_AB, inter_B, decoder], vars_on_cpu=not models_opt_on_gpu,
                                 lr_dropout_on_cpu=(lr_dropout == "cpu"))

    m.load_weights(path) -> False if the file is missing (then keep the fresh init); UserError if incompatible.
    m.save_weights(path)  (atomic, previous copy kept as .bak); works for optimizers too (`..._src_dst_opt.npy`).
    m.get_weights() / m.get_weights_dict() ({'down1/downs_0/conv1/weight:0': tf.Variable}), m.count_params(),
    m.init_weights().  Models are called on tensors in the current layout: rgb, mask = decoder(code).

    Compiled train step (one or several devices, batch split over replicas, gradients averaged):
        def loss_fn(warped_src, target_src, ...):       # tensors in ctx.data_format
            ...; return per_sample_loss, {"src_loss": src_loss, "pred": pred}   # outputs: batch axis 0
        step = training.make_train_step(loss_fn, opt, variables, strategy=ctx.strategy,
                                        loss_scale=training.DynamicLossScale() if float16 else None)
        outputs = step(*numpy_or_tensor_batches)        # runs one update
    variables = [v for m in trainable_models for v in m.get_weights()]

    Losses/ops: losses.dssim(a, b, max_val=1.0, filter_size=int(res/11.6)) -> (N, C); losses.mse;
    losses.style_loss; losses.total_variation_mse; ops.gaussian_blur(x, sigma); ops.concat_ch; ops.flatten;
    ops.depth_to_space.  Merge predictor: predictors.make_saehd_predictor('liae', encoder=..., decoder=...,
    inter_AB=..., inter_B=...)(faces_nhwc) -> (bgr, mask_src_dstm, mask_dst_dstm); DF: inter=, decoder=
    (decoder_src), decoder_dst=.
    Other networks: core.leras.discriminators (UNetPatchDiscriminator, CodeDiscriminator, PatchDiscriminator),
    core.leras.xseg (XSeg).  Layers: core.leras.layers.  Base classes: core.leras.base.ModelBase/LayerBase.
"""
