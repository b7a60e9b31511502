"""Random warp grid + affine transform + flip for training samples (reference §6 "Random warp / transform").

`gen_warp_params` draws one set of parameters; `warp_by_params` applies any subset of them (warp, transform, flip)
to an image or a mask, so a sample's warped input, its target and its masks share one geometry.
"""
import cv2
import numpy as np

# Below this width the grid is too coarse: the image is processed at this size and resized back.
_MIN_W = 64


def gen_warp_params(w, flip=False, rotation_range=(-10, 10), scale_range=(-0.5, 0.5), tx_range=(-0.05, 0.05),
                    ty_range=(-0.05, 0.05), rnd_state=None, warp_rnd_state=None):
    """Parameters for an image of width `w`. `rnd_state` draws the affine and flip, `warp_rnd_state` the grid, so
    outputs may share the affine but not the grid (np.random.RandomState; the global state when None)."""
    rnd_state = np.random if rnd_state is None else rnd_state
    warp_rnd_state = np.random if warp_rnd_state is None else warp_rnd_state
    rw = None
    if w < _MIN_W:
        rw, w = w, _MIN_W

    rotation = rnd_state.uniform(rotation_range[0], rotation_range[1])
    scale = rnd_state.uniform(1 / (1 - scale_range[0]), 1 + scale_range[1])
    tx = rnd_state.uniform(tx_range[0], tx_range[1])
    ty = rnd_state.uniform(ty_range[0], ty_range[1])
    p_flip = bool(flip and rnd_state.randint(10) < 4)

    cell_size = [w // 2, w // 4, w // 8][warp_rnd_state.randint(3)]
    cell_count = w // cell_size + 1
    grid_points = np.linspace(0, w, cell_count)
    mapx = np.broadcast_to(grid_points, (cell_count, cell_count)).copy()
    mapy = mapx.T.copy()
    inner = (cell_count - 2, cell_count - 2)
    mapx[1:-1, 1:-1] += warp_rnd_state.normal(size=inner) * (cell_size * 0.24)
    mapy[1:-1, 1:-1] += warp_rnd_state.normal(size=inner) * (cell_size * 0.24)
    half = cell_size // 2
    big = (w + cell_size, w + cell_size)
    mapx = cv2.resize(mapx, big)[half:half + w, half:half + w].astype(np.float32)
    mapy = cv2.resize(mapy, big)[half:half + w, half:half + w].astype(np.float32)

    rmat = cv2.getRotationMatrix2D((w // 2, w // 2), rotation, scale)
    rmat[:, 2] += (tx * w, ty * w)
    umat = rmat.copy()
    umat[:, 2] /= w
    return {"mapx": mapx, "mapy": mapy, "rmat": rmat, "umat": umat, "w": w, "rw": rw, "flip": p_flip}


def warp_by_params(params, img, can_warp, can_transform, can_flip, border_replicate, cv2_inter=cv2.INTER_CUBIC):
    """Order: grid remap -> affine (replicated or black border) -> horizontal flip. Returns (H, W, C)."""
    rw = params["rw"]
    geometric = can_warp or can_transform
    if geometric and rw is not None:
        img = cv2.resize(img, (params["w"], params["w"]), interpolation=cv2_inter)
    if can_warp:
        img = cv2.remap(img, params["mapx"], params["mapy"], cv2_inter)
    if can_transform:
        border = cv2.BORDER_REPLICATE if border_replicate else cv2.BORDER_CONSTANT
        img = cv2.warpAffine(img, params["rmat"], (params["w"], params["w"]), borderMode=border, flags=cv2_inter)
    if geometric and rw is not None:
        img = cv2.resize(img, (rw, rw), interpolation=cv2_inter)
    if img.ndim == 2:
        img = img[..., None]
    if can_flip and params["flip"]:
        img = img[:, ::-1, ...]
    return img
