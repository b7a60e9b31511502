"""Sort by blur (CPBD sharpness) and by motion blur (variance of the Laplacian), both on the hull-masked face."""
import cv2

from mainscripts.sort.faces import compute, hull_masked, load_face, order_by_score


def face_sharpness(path):
    from core.imagelib.sharpness import estimate_sharpness
    face = load_face(path)
    if face is None:
        return None
    return estimate_sharpness(hull_masked(face.get_img(), face.get_landmarks()))


def face_motion_sharpness(path):
    face = load_face(path)
    if face is None:
        return None
    return float(cv2.Laplacian(hull_masked(face.get_img(), face.get_landmarks()), cv2.CV_64F, ksize=11).var())


def sort_by_blur(ctx):
    """Sharpest first: blurred faces end up last (the original also trashed faces scoring exactly 0; we keep them)."""
    scores = compute(face_sharpness, [str(p) for p in ctx.paths], ctx, "Estimating sharpness")
    return order_by_score(ctx.paths, scores)


def sort_by_motion_blur(ctx):
    scores = compute(face_motion_sharpness, [str(p) for p in ctx.paths], ctx, "Estimating motion blur")
    return order_by_score(ctx.paths, scores)
