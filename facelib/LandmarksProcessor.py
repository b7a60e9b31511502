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


# 3D mean face (68 points, model units) used for head-pose estimation; the original uses points 0..26 and 30..35.
landmarks_68_3D = np.array([
    [-73.393523, -29.801432, 47.667532], [-72.775014, -10.949766, 45.909403], [-70.533638, 7.929818, 44.842580],
    [-66.850058, 26.074280, 43.141114], [-59.790187, 42.564390, 38.635298], [-48.368973, 56.481080, 30.750622],
    [-34.121101, 67.246992, 18.456453], [-17.875411, 75.056892, 3.609035], [0.098749, 77.061286, -0.881698],
    [17.477031, 74.758448, 5.181201], [32.648966, 66.929021, 19.176563], [46.372358, 56.311389, 30.770570],
    [57.343480, 42.419126, 37.628629], [64.388482, 25.455880, 40.886309], [68.212038, 6.990805, 42.281449],
    [70.486405, -11.666193, 44.142567], [71.375822, -30.365191, 47.140426], [-61.119406, -49.361602, 14.254422],
    [-51.287588, -58.769795, 7.268147], [-37.804800, -61.996155, 0.442051], [-24.022754, -61.033399, -6.606501],
    [-11.635713, -56.686759, -11.967398], [12.056636, -57.391033, -12.051204], [25.106256, -61.902186, -7.315098],
    [38.338588, -62.777713, -1.022953], [51.191007, -59.302347, 5.349435], [60.053851, -50.190255, 11.615746],
    [0.653940, -42.193790, -13.380835], [0.804809, -30.993721, -21.150853], [0.992204, -19.944596, -29.284036],
    [1.226783, -8.414541, -36.948060], [-14.772472, 2.598255, -20.132003], [-7.180239, 4.751589, -23.536684],
    [0.555920, 6.562900, -25.944448], [8.272499, 4.661005, -23.695741], [15.214351, 2.643046, -20.858157],
], dtype=np.float32)
_POSE_IDXS = np.r_[0:27, 30:36]

# Index pairs swapped when a face is mirrored horizontally (jaw, brows, eyes, nostrils, mouth): 29 pairs.
MIRROR_PAIRS = (
    (0, 16), (1, 15), (2, 14), (3, 13), (4, 12), (5, 11), (6, 10), (7, 9),
    (17, 26), (18, 25), (19, 24), (20, 23), (21, 22),
    (36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46),
    (31, 35), (32, 34),
    (50, 52), (49, 53), (48, 54), (59, 55), (58, 56), (67, 65), (60, 64), (61, 63),
)

# 68-point groups (start, end) as drawn by the debug painter.
LANDMARK_GROUPS = {"jaw": (0, 17), "right_eyebrow": (17, 22), "left_eyebrow": (22, 27), "nose": (27, 36),
                   "right_eye": (36, 42), "left_eye": (42, 48), "mouth": (48, 68)}


def _check68(landmarks):
    if len(landmarks) != 68:
        raise ValueError(f"68 landmarks are needed, got {len(landmarks)}")


def get_rect_from_landmarks(image_landmarks):
    """(l, t, r, b) of the axis-aligned FULL_NO_ALIGN crop around the landmarks, in image coordinates."""
    mat = get_transform_mat(image_landmarks, 256, FaceType.FULL_NO_ALIGN)
    p = transform_points(np.float32([(0, 0), (255, 255)]), mat, True)
    return float(p[0][0]), float(p[0][1]), float(p[1][0]), float(p[1][1])


def expand_eyebrows(landmarks, eyebrows_expand_mod=1.0):
    """Integer landmarks with the brows pushed away from the eye line by mod * half their distance (forehead cover)."""
    _check68(landmarks)
    lmrks = np.array(landmarks, dtype=np.int32)
    ml_pnt = (lmrks[36] + lmrks[0]) // 2
    mr_pnt = (lmrks[16] + lmrks[45]) // 2
    ql_pnt = (lmrks[36] + ml_pnt) // 2
    qr_pnt = (lmrks[45] + mr_pnt) // 2
    bot_l = np.array((ql_pnt, lmrks[36], lmrks[37], lmrks[38], lmrks[39]))
    bot_r = np.array((lmrks[42], lmrks[43], lmrks[44], lmrks[45], qr_pnt))
    top_l, top_r = lmrks[17:22], lmrks[22:27]
    lmrks[17:22] = top_l + eyebrows_expand_mod * 0.5 * (top_l - bot_l)
    lmrks[22:27] = top_r + eyebrows_expand_mod * 0.5 * (top_r - bot_r)
    return lmrks


def get_image_hull_mask(image_shape, image_landmarks, eyebrows_expand_mod=1.0):
    """float32 (h, w, 1) face mask: union of the convex hulls of 8 landmark groups, brows expanded."""
    mask = np.zeros(tuple(image_shape[0:2]) + (1,), dtype=np.float32)
    lm = expand_eyebrows(image_landmarks, eyebrows_expand_mod)
    parts = [
        (lm[0:9], lm[17:18]), (lm[8:17], lm[26:27]),                       # right / left jaw
        (lm[17:20], lm[8:9]), (lm[24:27], lm[8:9]),                        # right / left cheek
        (lm[19:25], lm[8:9]),                                              # nose ridge
        (lm[17:22], lm[27:28], lm[31:36], lm[8:9]),                        # right eye region
        (lm[22:27], lm[27:28], lm[31:36], lm[8:9]),                        # left eye region
        (lm[27:31], lm[31:36]),                                            # nose
    ]
    for part in parts:
        cv2.fillConvexPoly(mask, cv2.convexHull(np.concatenate(part)), (1,))
    return mask


def _feature_mask(image_shape, landmarks, groups):
    _check68(landmarks)
    h = image_shape[0]
    mask = np.zeros(tuple(image_shape[0:2]) + (1,), dtype=np.float32)
    lm = np.array(landmarks, dtype=np.int32)
    for s, e in groups:
        cv2.fillConvexPoly(mask, cv2.convexHull(lm[s:e]), (1,))
    dilate = max(h // 32, 1)
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (dilate, dilate)), iterations=1)
    blur = h // 16
    blur = blur + (1 - blur % 2)
    mask = cv2.GaussianBlur(mask, (blur, blur), 0)
    return mask[..., None]


def get_image_eye_mask(image_shape, image_landmarks):
    """Soft (h, w, 1) mask of both eyes: hulls dilated by h//32 and blurred by ~h//16."""
    return _feature_mask(image_shape, image_landmarks, ((36, 42), (42, 48)))


def get_image_mouth_mask(image_shape, image_landmarks):
    """Soft (h, w, 1) mask of the inner mouth, same dilation and blur as the eye mask."""
    return _feature_mask(image_shape, image_landmarks, ((60, 68),))


def mirror_landmarks(landmarks, width):
    """Landmarks of the horizontally flipped image of the given width (left/right points swapped)."""
    result = np.array(landmarks, copy=True)
    for a, b in MIRROR_PAIRS:
        result[[a, b]] = result[[b, a]]
    result[:, 0] = width - result[:, 0] - 1
    return result


def _rotation_to_euler(R):
    sy = math.sqrt(R[0, 0] * R[0, 0] + R[1, 0] * R[1, 0])
    if sy >= 1e-6:
        return math.atan2(R[2, 1], R[2, 2]), math.atan2(-R[2, 0], sy), math.atan2(R[1, 0], R[0, 0])
    return math.atan2(-R[1, 2], R[1, 1]), math.atan2(-R[2, 0], sy), 0.0


def _solve_pose(aligned_landmarks, size, flags):
    # float32 points and camera, as the original passes them.
    camera = np.array([[size, 0, size / 2], [0, size, size / 2], [0, 0, 1]], dtype=np.float32)
    image_pts = np.asarray(aligned_landmarks, dtype=np.float32)[_POSE_IDXS]
    _, rvec, _ = cv2.solvePnP(landmarks_68_3D[_POSE_IDXS], image_pts, camera, np.zeros((4, 1)), flags=flags)
    return _rotation_to_euler(cv2.Rodrigues(rvec)[0])


def estimate_pitch_yaw_roll(aligned_landmarks, size=256):
    """(pitch, yaw, roll) in radians, each clipped to ±pi/2, from landmarks of an aligned face of the given size.

    The original's estimate (iterative solvePnP): sorting and uniform-yaw sampling depend on it. It sometimes lands
    on the mirror solution behind the camera (roll near ±pi, clipped); estimate_head_pose does not."""
    pitch, yaw, roll = _solve_pose(aligned_landmarks, size, cv2.SOLVEPNP_ITERATIVE)
    half_pi = math.pi / 2.0
    pitch, yaw, roll = (float(np.clip(v, -half_pi, half_pi)) for v in (pitch, yaw, roll))
    return -pitch, yaw, roll


def estimate_head_pose(aligned_landmarks, size=256):
    """(pitch, yaw, roll) in radians, same signs as estimate_pitch_yaw_roll, from the globally optimal PnP solution
    (SQPnP), unclipped: for measuring pose differences."""
    pitch, yaw, roll = _solve_pose(aligned_landmarks, size, cv2.SOLVEPNP_SQPNP)
    return -pitch, yaw, roll


def draw_landmarks(image, image_landmarks, color=(0, 255, 0), transparent_mask=False):
    """Draw the 68 landmarks (outlines, dots, big jaw dots) onto a uint8 BGR image in place."""
    _check68(image_landmarks)
    lm = np.array(image_landmarks, dtype=np.int32)
    g = {name: lm[s:e] for name, (s, e) in LANDMARK_GROUPS.items()}
    nose = np.concatenate((g["nose"], [g["nose"][-6]]))
    cv2.polylines(image, [g["right_eyebrow"], g["jaw"], g["left_eyebrow"], nose], False, color, lineType=cv2.LINE_AA)
    cv2.polylines(image, [g["right_eye"], g["left_eye"], g["mouth"]], True, color, lineType=cv2.LINE_AA)
    for name in ("right_eyebrow", "left_eyebrow", "mouth", "right_eye", "left_eye", "nose"):
        for x, y in g[name]:
            cv2.circle(image, (int(x), int(y)), 1, color, 1, lineType=cv2.LINE_AA)
    for x, y in g["jaw"]:
        cv2.circle(image, (int(x), int(y)), 2, color, lineType=cv2.LINE_AA)
    if transparent_mask:
        mask = get_image_hull_mask(image.shape, image_landmarks)
        image[...] = (image * (1 - mask) + image * mask / 2).astype(image.dtype)


def draw_rect_landmarks(image, rect, image_landmarks, face_type, face_size=256, transparent_mask=False,
                        landmarks_color=(0, 255, 0)):
    """Debug drawing: landmarks, the detector rect (blue), the aligned crop quad and its top-left marker (red)."""
    draw_landmarks(image, image_landmarks, color=landmarks_color, transparent_mask=transparent_mask)
    if rect is not None:
        l, t, r, b = (int(v) for v in rect)
        cv2.rectangle(image, (l, t), (r, b), (255, 0, 0), 2)
    mat = get_transform_mat(image_landmarks, face_size, face_type)
    s = face_size - 1
    quad = transform_points(np.float32([(0, 0), (0, s), (s, s), (s, 0)]), mat, True)
    cv2.polylines(image, [quad.astype(np.int32)], True, (0, 0, 255), 2, lineType=cv2.LINE_AA)
    marker = transform_points(np.float32([(int(face_size * 0.05), 0), (int(face_size * 0.1), int(face_size * 0.1)),
                                          (0, int(face_size * 0.1))]), mat, True)
    cv2.polylines(image, [marker.astype(np.int32)], True, (0, 0, 255), 2, lineType=cv2.LINE_AA)
