"""Ray-cast rendering of the synthetic room with Open3D: exact depth, instance ids and Lambert-shaded colour."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d

from perception.synthetic.geometry import RoomInstance, local_mesh

# Two fixed world-space lights (key, fill) with weights: shading never depends on the viewpoint, so surfaces
# keep their brightness as the camera moves (photometric odometry assumes exactly that).
LIGHTS = np.array([[0.4, 0.3, 1.0], [-0.6, -0.5, 0.3]], dtype=np.float32)
LIGHTS /= np.linalg.norm(LIGHTS, axis=1, keepdims=True)
LIGHT_WEIGHTS = np.array([0.45, 0.3], dtype=np.float32)
AMBIENT = 0.3


@dataclass
class RenderedFrame:
    """One rendered view: BGR uint8 colour, float32 z-depth in metres (0 = no hit), uint16 instance ids."""

    color: np.ndarray
    depth: np.ndarray
    instance: np.ndarray


def _rotate(points: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """``points @ rot.T`` (Nx3 points, Kx3 matrix) as broadcast products: BLAS on skinny arrays thrashes busy cores."""
    return points[:, :1] * rot[:, 0] + points[:, 1:2] * rot[:, 1] + points[:, 2:] * rot[:, 2]


def _albedo(inst: RoomInstance, local: np.ndarray) -> np.ndarray:
    """Nx3 float32 colour of local points: the instance colour, repainted by each label patch covering them."""
    out = np.repeat(inst.color.astype(np.float32)[None], len(local), axis=0)
    for patch in inst.patches.astype(np.float32):
        out[np.all((local >= patch[:3]) & (local <= patch[3:6]), axis=1)] = patch[6:]
    return out


class RoomRenderer:
    """Renders the instances of one room through a pinhole camera; rays pass through integer pixel coordinates.

    A ray through pixel (u, v) has camera direction ((u - cx) / fx, (v - cy) / fy, 1), so the ray
    parameter at the hit is the z-depth and ``x = (u - cx) * z / fx`` back-projects it exactly.
    """

    def __init__(self, instances: list[RoomInstance], k: np.ndarray, width: int, height: int, nthreads: int = 0):
        self.instances = instances
        self.nthreads = nthreads
        self.size = (width, height)
        self._meshes = [local_mesh(inst.shape, inst.size) for inst in instances]
        self._ids = np.array([0] + [inst.id for inst in instances], dtype=np.uint16)
        u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
        dirs = np.stack([(u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1], np.ones_like(u)], axis=-1)
        self._dirs = dirs.reshape(-1, 3).astype(np.float32)

    def _scene(self, frame: int) -> o3d.t.geometry.RaycastingScene:
        scene = o3d.t.geometry.RaycastingScene()
        for inst, (verts, tris) in zip(self.instances, self._meshes):
            pose = inst.pose(frame)
            world = (_rotate(verts, pose[:3, :3]) + pose[:3, 3]).astype(np.float32)
            scene.add_triangles(o3d.core.Tensor(world), o3d.core.Tensor(tris))
        return scene

    def render(self, frame: int, cam_pose: np.ndarray) -> RenderedFrame:
        """Render 0-based ``frame`` of the scene from the camera-to-world pose ``cam_pose``."""
        w, h = self.size
        eye = cam_pose[:3, 3].astype(np.float32)
        rays = np.empty((len(self._dirs), 6), dtype=np.float32)
        rays[:, :3] = eye
        rays[:, 3:] = _rotate(self._dirs, cam_pose[:3, :3].astype(np.float32))
        hit = self._scene(frame).cast_rays(o3d.core.Tensor(rays), nthreads=self.nthreads)
        t = hit["t_hit"].numpy()
        valid = np.isfinite(t)
        geom = hit["geometry_ids"].numpy().astype(np.int64)
        geom[~valid] = -1
        depth = np.where(valid, t, 0.0).astype(np.float32)
        color = self._shade(frame, hit["primitive_normals"].numpy(), depth, rays[:, 3:], geom, eye)
        return RenderedFrame(color.reshape(h, w, 3), depth.reshape(h, w), self._ids[geom + 1].reshape(h, w))

    def _shade(self, frame: int, normals: np.ndarray, depth: np.ndarray, dirs: np.ndarray, geom: np.ndarray,
               eye: np.ndarray) -> np.ndarray:
        """Nx3 BGR: albedo x (plane-wave texture in object coordinates) x (ambient + two world lights); 0 if no hit."""
        toward = np.where(np.einsum("nc,nc->n", normals, dirs) > 0, -1.0, 1.0).astype(np.float32)
        lit = np.clip(toward[:, None] * _rotate(normals, LIGHTS), 0.0, None)
        light = AMBIENT + lit[:, 0] * LIGHT_WEIGHTS[0] + lit[:, 1] * LIGHT_WEIGHTS[1]
        points = eye + dirs * depth[:, None]
        order = np.argsort(geom, kind="stable")
        starts = np.searchsorted(geom[order], np.arange(len(self.instances) + 1))
        rgb = np.zeros((len(geom), 3), dtype=np.float32)
        for g, inst in enumerate(self.instances):
            rows = order[starts[g]:starts[g + 1]]
            if len(rows) == 0:
                continue
            pose = inst.pose(frame).astype(np.float32)
            local = _rotate(points[rows] - pose[:3, 3], pose[:3, :3].T)
            tex = inst.texture.astype(np.float32)
            waves = np.sin(2 * np.pi * _rotate(local, tex[:, :3]) + tex[:, 3]).mean(axis=1)
            albedo = inst.color.astype(np.float32) if inst.patches is None else _albedo(inst, local)
            rgb[rows] = albedo * ((0.78 + 0.22 * waves) * light[rows])[:, None]
        return np.clip(rgb[:, ::-1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
