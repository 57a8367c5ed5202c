"""Optional TSDF surface fusion (Open3D ScalableTSDFVolume) beside the instance map, for mesh export."""

from __future__ import annotations

import numpy as np

from perception.types import Intrinsics


class TSDFFusion:
    """Integrates RGB-D frames with camera-to-world poses; ``mesh()`` extracts a coloured triangle mesh."""

    def __init__(self, voxel: float = 0.02, trunc: float = 0.08, max_depth: float = 6.0):
        import open3d as o3d

        self._o3d = o3d
        self.max_depth = max_depth
        self.volume = o3d.pipelines.integration.ScalableTSDFVolume(
            voxel_length=voxel, sdf_trunc=trunc, color_type=o3d.pipelines.integration.TSDFVolumeColorType.RGB8)

    def integrate(self, image_bgr: np.ndarray, depth: np.ndarray, k: Intrinsics, pose: np.ndarray) -> None:
        """Fuse one frame (BGR uint8, depth metres, camera-to-world pose)."""
        o3d = self._o3d
        rgbd = o3d.geometry.RGBDImage.create_from_color_and_depth(
            o3d.geometry.Image(np.ascontiguousarray(image_bgr[:, :, ::-1])),
            o3d.geometry.Image(np.nan_to_num(depth, nan=0.0).astype(np.float32)),
            depth_scale=1.0, depth_trunc=self.max_depth, convert_rgb_to_intensity=False)
        cam = o3d.camera.PinholeCameraIntrinsic(k.width, k.height, k.fx, k.fy, k.cx, k.cy)
        self.volume.integrate(rgbd, cam, np.linalg.inv(pose))

    def mesh(self):
        """The fused surface as an Open3D TriangleMesh with vertex colours."""
        m = self.volume.extract_triangle_mesh()
        m.compute_vertex_normals()
        return m

    def reset(self) -> None:
        """Empty the volume."""
        self.volume.reset()
