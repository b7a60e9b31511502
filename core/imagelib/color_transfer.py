"""Colour transfer between two faces (reference §6 "Color transfer", §7.2): recolour `img_src` to look like `img_trg`.

All functions take float32 BGR images in 0..1 of the same size and return float32 0..1. `color_transfer(mode, ...)`
looks the mode up in `COLOR_TRANSFERS` (rct, lct, mkl, idt, sot, mix); randomised modes (idt, sot, mix) take a
`rnd_state` (np.random.RandomState) so training batches are reproducible. `color_hist_match` is the merger's
per-channel histogram match.

Difference from the original: masked `rct` computes its statistics over the masked pixels only (the original zeroed
the pixels outside the mask and still counted them, reference §12 item 11); `idt` clamps projections below the first
histogram bin to that bin's mapping (the original sent them to 0, which pushed dark pixels away from the target).
"""
import cv2
import numpy as np


def _rng(rnd_state):
    return np.random.mtrand._rand if rnd_state is None else rnd_state


def _lab_stats(lab, mask, cutoff):
    """Per-channel mean and std of a LAB image, over the pixels where mask >= cutoff (all pixels without a mask)."""
    px = lab.reshape(-1, 3)
    if mask is not None:
        sel = mask.reshape(-1) >= cutoff
        if sel.any():
            px = px[sel]
    return px.mean(0), px.std(0)


def reinhard_color_transfer(img_src, img_trg, src_mask=None, trg_mask=None, mask_cutoff=0.5):
    """rct: match the per-channel mean/std of `img_src` to `img_trg` in OpenCV float LAB (L 0..100).
    Masks (H, W[, 1]) limit where each image's statistics are measured; the whole `img_src` is recoloured."""
    src_lab = cv2.cvtColor(np.ascontiguousarray(img_src, np.float32), cv2.COLOR_BGR2LAB)
    trg_lab = cv2.cvtColor(np.ascontiguousarray(img_trg, np.float32), cv2.COLOR_BGR2LAB)
    s_mean, s_std = _lab_stats(src_lab, src_mask, mask_cutoff)
    t_mean, t_std = _lab_stats(trg_lab, trg_mask, mask_cutoff)
    out = (src_lab - s_mean) * (t_std / np.maximum(s_std, 1e-6)) + t_mean
    out[..., 0] = np.clip(out[..., 0], 0, 100)
    out[..., 1:] = np.clip(out[..., 1:], -127, 127)
    return np.clip(cv2.cvtColor(out.astype(np.float32), cv2.COLOR_LAB2BGR), 0, 1)


def _sqrtm_psd(c):
    eva, eve = np.linalg.eigh(c)
    return eve @ np.diag(np.sqrt(np.clip(eva, 0, None))) @ eve.T


def linear_color_transfer(img_src, img_trg, eps=1e-5):
    """lct: map the colour covariance of `img_src` onto `img_trg`'s through matrix square roots (PCA basis)."""
    c = img_src.shape[-1]
    s = img_src.reshape(-1, c).astype(np.float64)
    t = img_trg.reshape(-1, c).astype(np.float64)
    mu_s, mu_t = s.mean(0), t.mean(0)
    cov_s = np.cov(s - mu_s, rowvar=False, bias=True).reshape(c, c) + eps * np.eye(c)
    cov_t = np.cov(t - mu_t, rowvar=False, bias=True).reshape(c, c) + eps * np.eye(c)
    m = _sqrtm_psd(cov_t) @ np.linalg.inv(_sqrtm_psd(cov_s))
    out = (s - mu_s) @ m.T + mu_t
    return np.clip(out.reshape(img_src.shape), 0, 1).astype(np.float32)


def color_transfer_mkl(img_src, img_trg):
    """mkl: Monge-Kantorovich linear mapping between the two colour covariances."""
    eps = np.finfo(float).eps
    c = img_src.shape[-1]
    x0 = img_src.reshape(-1, c).astype(np.float64)
    x1 = img_trg.reshape(-1, c).astype(np.float64)
    a = np.cov(x0.T).reshape(c, c)
    b = np.cov(x1.T).reshape(c, c)
    da2, ua = np.linalg.eigh(a)
    da = np.diag(np.sqrt(da2.clip(eps, None)))
    cm = da @ ua.T @ b @ ua @ da
    dc2, uc = np.linalg.eigh(cm)
    dc = np.diag(np.sqrt(dc2.clip(eps, None)))
    da_inv = np.diag(1.0 / np.diag(da))
    t = ua @ da_inv @ uc @ dc @ uc.T @ da_inv @ ua.T
    out = (x0 - x0.mean(0)) @ t + x1.mean(0)
    return np.clip(out.reshape(img_src.shape), 0, 1).astype(np.float32)


def color_transfer_idt(img_src, img_trg, bins=256, n_rot=20, rnd_state=None):
    """idt: iterative distribution transfer — 1-D CDF matching along `n_rot` random rotations, relaxation 1/n_rot."""
    import scipy.stats  # here, not at the top: importing it costs every merger worker ~1 s at start-up
    rng = _rng(rnd_state)
    c = img_src.shape[-1]
    d0 = img_src.reshape(-1, c).T.astype(np.float32)
    d1 = img_trg.reshape(-1, c).T.astype(np.float32)
    relaxation = 1.0 / n_rot
    for _ in range(n_rot):
        r = scipy.stats.special_ortho_group.rvs(c, random_state=rng).astype(np.float32)
        d0r, d1r = r @ d0, r @ d1
        d_r = np.empty_like(d0)
        for j in range(c):
            lo = min(d0r[j].min(), d1r[j].min())
            hi = max(d0r[j].max(), d1r[j].max())
            p0, edges = np.histogram(d0r[j], bins=bins, range=[lo, hi])
            p1, _ = np.histogram(d1r[j], bins=bins, range=[lo, hi])
            cp0 = p0.cumsum().astype(np.float32)
            cp0 /= cp0[-1]
            cp1 = p1.cumsum().astype(np.float32)
            cp1 /= cp1[-1]
            f = np.interp(cp0, cp1, edges[1:])
            d_r[j] = np.interp(d0r[j], edges[1:], f)
        d0 = relaxation * np.linalg.solve(r, d_r - d0r) + d0
    return np.clip(d0.T.reshape(img_src.shape), 0, 1).astype(np.float32)


def color_transfer_sot(img_src, img_trg, steps=10, batch_size=5, reg_sigma_xy=16.0, reg_sigma_v=5.0, rnd_state=None):
    """sot: sliced optimal transport (`steps` x `batch_size` random directions), then the displacement field is
    smoothed with a bilateral filter (sigma space 16, sigma value 5; 0 turns it off). Works on any float range;
    the result is not clipped."""
    rng = _rng(rnd_state)
    h, w, c = img_src.shape
    src = img_src.astype(np.float32)
    trg = img_trg.reshape(-1, c).astype(np.float32)
    new_src = src.reshape(-1, c).copy()
    advect = np.empty_like(new_src)
    for _ in range(steps):
        advect.fill(0)
        for _ in range(batch_size):
            direction = rng.normal(size=c).astype(np.float32)
            direction /= np.linalg.norm(direction)
            proj_src = new_src @ direction
            proj_trg = trg @ direction
            id_src = np.argsort(proj_src)
            id_trg = np.argsort(proj_trg)
            advect[id_src] += (proj_trg[id_trg] - proj_src[id_src])[:, None] * direction
        new_src += advect / batch_size
    new_src = new_src.reshape(h, w, c)
    if reg_sigma_xy != 0.0:
        diff = cv2.bilateralFilter(new_src - src, 0, reg_sigma_v, reg_sigma_xy)
        new_src = src + diff.reshape(h, w, c)
    return new_src


def color_transfer_mix(img_src, img_trg, rnd_state=None):
    """mix: lct on the L channel, sot on the chroma (both images at L = 100), in 8-bit LAB as the original."""
    src_lab = cv2.cvtColor(np.clip(img_src * 255, 0, 255).astype(np.uint8), cv2.COLOR_BGR2LAB)
    trg_lab = cv2.cvtColor(np.clip(img_trg * 255, 0, 255).astype(np.uint8), cv2.COLOR_BGR2LAB)
    light = linear_color_transfer(src_lab[..., 0:1].astype(np.float32) / 255, trg_lab[..., 0:1].astype(np.float32) / 255)
    light = np.clip(light[..., 0] * 255, 0, 255).astype(np.uint8)
    src_lab[..., 0] = 100
    trg_lab[..., 0] = 100
    src_chroma = cv2.cvtColor(src_lab, cv2.COLOR_LAB2BGR).astype(np.float32)
    trg_chroma = cv2.cvtColor(trg_lab, cv2.COLOR_LAB2BGR).astype(np.float32)
    out = np.clip(color_transfer_sot(src_chroma, trg_chroma, rnd_state=rnd_state), 0, 255).astype(np.uint8)
    out = cv2.cvtColor(out, cv2.COLOR_BGR2LAB)
    out[..., 0] = light
    return (cv2.cvtColor(out, cv2.COLOR_LAB2BGR) / 255.0).astype(np.float32)


COLOR_TRANSFERS = {
    "rct": lambda s, t, rnd_state: reinhard_color_transfer(s, t),
    "lct": lambda s, t, rnd_state: linear_color_transfer(s, t),
    "mkl": lambda s, t, rnd_state: color_transfer_mkl(s, t),
    "idt": lambda s, t, rnd_state: color_transfer_idt(s, t, rnd_state=rnd_state),
    "sot": lambda s, t, rnd_state: np.clip(color_transfer_sot(s, t, rnd_state=rnd_state), 0, 1),
    "mix": lambda s, t, rnd_state: color_transfer_mix(s, t, rnd_state=rnd_state),
}
CT_MODES = tuple(COLOR_TRANSFERS)


def color_transfer(ct_mode, img_src, img_trg, rnd_state=None):
    """Recolour `img_src` (float32 BGR 0..1) towards `img_trg` with one of CT_MODES."""
    try:
        func = COLOR_TRANSFERS[ct_mode]
    except KeyError:
        raise ValueError(f"unknown colour transfer mode '{ct_mode}' (choose one of {', '.join(CT_MODES)})") from None
    return func(img_src, img_trg, rnd_state)


def channel_hist_match(source, template, hist_match_threshold=255, mask=None):
    """Map the value histogram of one channel onto another's; `hist_match_threshold` (0..255) caps the source
    quantiles, `mask` limits which pixels' histograms are measured."""
    src_vals = source.ravel() if mask is None else source.ravel()[mask.ravel() > 0]
    tpl_vals = template.ravel() if mask is None else template.ravel()[mask.ravel() > 0]
    if src_vals.size == 0 or tpl_vals.size == 0:
        return source.copy()
    s_values, s_counts = np.unique(src_vals, return_counts=True)
    t_values, t_counts = np.unique(tpl_vals, return_counts=True)
    s_quantiles = np.cumsum(s_counts).astype(np.float64)
    s_quantiles = hist_match_threshold * s_quantiles / s_quantiles[-1]
    t_quantiles = np.cumsum(t_counts).astype(np.float64)
    t_quantiles = 255 * t_quantiles / t_quantiles[-1]
    mapped = np.interp(s_quantiles, t_quantiles, t_values)
    return np.interp(source.ravel(), s_values, mapped).reshape(source.shape)


def color_hist_match(src_im, tar_im, hist_match_threshold=255, mask=None):
    """Per-channel histogram match of the first three channels of `src_im` to `tar_im` (extra channels kept)."""
    matched = [channel_hist_match(src_im[..., i], tar_im[..., i], hist_match_threshold, mask) for i in range(3)]
    matched += [src_im[..., i] for i in range(3, src_im.shape[-1])]
    return np.stack(matched, -1).astype(src_im.dtype)
