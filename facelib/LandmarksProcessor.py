"""Face alignment from 68-point landmarks: the original's transform matrices per face type and point transforms."""
import math

import cv2
import numpy as np

from facelib.FaceType import FaceType

# Mean face (68-pt indices 17..67) in the unit square, as used by the original and the face-alignment literature.
landmarks_2D = np.array([
    [0.000213256, 0.106454], [0.0752622, 0.038915], [0.18113, 0.0187482], [0.29077, 0.0344891], [0.393397, 0.0773906],
    [0.586856, 0.0773906], [0.689483, 0.0344891], [0.799124, 0.0187482], [0.904991, 0.038915], [0.98004, 0.106454],
    [0.490127, 0.203352], [0.490127, 0.307009], [0.490127, 0.409805], [0.490127, 0.515625], [0.36688, 0.587326],
    [0.426036, 0.609345], [0.490127, 0.628106], [0.554217, 0.609345], [0.613373, 0.587326], [0.121737, 0.216423],
    [0.187122, 0.178758], [0.265825, 0.179852], [0.334606, 0.231733], [0.260918, 0.245099], [0.182743, 0.244077],
    [0.645647, 0.231733], [0.714428, 0.179852], [0.793132, 0.178758], [0.858516, 0.216423], [0.79751, 0.244077],
    [0.719335, 0.245099], [0.254149, 0.780233], [0.340985, 0.745405], [0.428858, 0.727388], [0.490127, 0.742578],
    [0.551395, 0.727388], [0.639268, 0.745405], [0.726104, 0.780233], [0.642159, 0.864805], [0.556721, 0.902192],
    [0.490127, 0.909281], [0.423532, 0.902192], [0.338094, 0.864805], [0.290379, 0.784792], [0.428096, 0.778746],
    [0.490127, 0.785343], [0.552157, 0.778746], [0.689874, 0.784792], [0.553364, 0.824182], [0.490127, 0.831803],
    [0.42689, 0.824182]], dtype=np.float32)

# 33 points: 68-pt indices 17..48 and 54.
landmarks_2D_new = np.concatenate([landmarks_2D[0:32], landmarks_2D[37:38]], axis=0)

FACE_PADDING = {
    FaceType.HALF: (0.0, False), FaceType.MID_FULL: (0.0675, False), FaceType.FULL: (0.2109375, False),
    FaceType.FULL_NO_ALIGN: (0.2109375, True), FaceType.WHOLE_FACE: (0.40, False), FaceType.HEAD: (0.70, False),
    FaceType.HEAD_NO_ALIGN: (0.70, True),
}


def umeyama(src, dst, estimate_scale):
    """Similarity transform (3x3) mapping src points onto dst points (Umeyama 1991)."""
    num, dim = src.shape
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_demean, dst_demean = src - src_mean, dst - dst_mean
    A = np.dot(dst_demean.T, src_demean) / num
    d = np.ones((dim,), dtype=np.float64)
    if np.linalg.det(A) < 0:
        d[dim - 1] = -1
    T = np.eye(dim + 1, dtype=np.float64)
    U, S, V = np.linalg.svd(A)
    rank = np.linalg.matrix_rank(A)
    if rank == 0:
        return np.nan * T
    if rank == dim - 1:
        if np.linalg.det(U) * np.linalg.det(V) > 0:
            T[:dim, :dim] = np.dot(U, V)
        else:
            s = d[dim - 1]
            d[dim - 1] = -1
            T[:dim, :dim] = np.dot(U, np.dot(np.diag(d), V))
            d[dim - 1] = s
    else:
        T[:dim, :dim] = np.dot(U, np.dot(np.diag(d), V))
    scale = 1.0 / src_demean.var(axis=0).sum() * np.dot(S, d) if estimate_scale else 1.0
    T[:dim, dim] = dst_mean - scale * np.dot(T[:dim, :dim], src_mean.T)
    T[:dim, :dim] *= scale
    return T


def transform_points(points, mat, invert=False):
    """Apply a 2x3 affine matrix (or its inverse) to an (N,2) point array."""
    if invert:
        mat = cv2.invertAffineTransform(mat)
    points = np.expand_dims(points, axis=1)
    points = cv2.transform(points, mat, points.shape)
    return np.squeeze(points)


def estimate_averaged_yaw(landmarks):
    """Yaw from aligned landmarks: mean right-minus-left jaw-to-nose x distances over 3 point pairs."""
    landmarks = np.array(landmarks)
    l = ((landmarks[27][0] - landmarks[0][0]) + (landmarks[28][0] - landmarks[1][0]) + (landmarks[29][0] - landmarks[2][0])) / 3.0
    r = ((landmarks[16][0] - landmarks[27][0]) + (landmarks[15][0] - landmarks[28][0]) + (landmarks[14][0] - landmarks[29][0])) / 3.0
    return float(r - l)


def get_transform_mat(image_landmarks, output_size, face_type, scale=1.0):
    """2x3 matrix mapping the source image onto the output_size square crop of face_type."""
    if not isinstance(image_landmarks, np.ndarray):
        image_landmarks = np.array(image_landmarks)
    mat = umeyama(np.concatenate([image_landmarks[17:49], image_landmarks[54:55]]), landmarks_2D_new, True)[0:2]
    g_p = transform_points(np.float32([(0, 0), (1, 0), (1, 1), (0, 1), (0.5, 0.5)]), mat, True)
    g_c = g_p[4]
    tb_diag_vec = (g_p[2] - g_p[0]).astype(np.float32)
    tb_diag_vec /= np.linalg.norm(tb_diag_vec)
    bt_diag_vec = (g_p[1] - g_p[3]).astype(np.float32)
    bt_diag_vec /= np.linalg.norm(bt_diag_vec)
    padding, remove_align = FACE_PADDING[FaceType(face_type)]
    mod = (1.0 / scale) * (np.linalg.norm(g_p[0] - g_p[2]) * (padding * np.sqrt(2.0) + 0.5))
    if face_type == FaceType.WHOLE_FACE:
        vec = (g_p[0] - g_p[3]).astype(np.float32)
        vec_len = np.linalg.norm(vec)
        vec /= vec_len
        g_c += vec * vec_len * 0.07
    elif face_type == FaceType.HEAD:
        # Damped yaw shifts the centre sideways, then up by half the side (meant for 3DFAN landmarks).
        yaw = estimate_averaged_yaw(transform_points(image_landmarks, mat, False))
        hvec = (g_p[0] - g_p[1]).astype(np.float32)
        hvec_len = np.linalg.norm(hvec)
        hvec /= hvec_len
        yaw *= np.abs(math.tanh(yaw * 2))
        g_c -= hvec * (yaw * hvec_len / 2.0)
        vvec = (g_p[0] - g_p[3]).astype(np.float32)
        vvec_len = np.linalg.norm(vvec)
        vvec /= vvec_len
        g_c += vvec * vvec_len * 0.50
    if not remove_align:
        l_t = np.array([g_c - tb_diag_vec * mod, g_c + bt_diag_vec * mod, g_c + tb_diag_vec * mod])
    else:
        # Same area as the aligned square (half-diagonal mod), axis-aligned around the centre.
        side = math.sqrt(2.0 * mod * mod) / 2
        l_t = np.array([g_c + [-side, -side], g_c + [side, -side], g_c + [side, side]])
    pts2 = np.float32(((0, 0), (output_size, 0), (output_size, output_size)))
    return cv2.getAffineTransform(l_t.astype(np.float32), pts2)
