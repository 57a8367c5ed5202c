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


class RoomRenderer:
    """Renders the instances of one room through a pinhole camera; rays pass through integer pixel coordinates.

    Skinny (N x 3) products use einsum rather than BLAS matmul, which thrashes on busy machines.

    A ray through pixel (u, v) has camera direction ((u - cx) / fx, (v - cy) / fy, 1), so the ray
    parameter at the hit is the z-depth and ``x = (u - cx) * z / fx`` back-projects it exactly.
    """

    def __init__(self, instances: list[RoomInstance], k: np.ndarray, width: int, height: int, nthreads: int = 0):
        self.instances = instances
        self.nthreads = nthreads
        self._meshes = [local_mesh(inst.shape, inst.size) for inst in instances]
        self._ids = np.array([0] + [inst.id for inst in instances], dtype=np.uint16)
        u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
        dirs = np.stack([(u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1], np.ones_like(u)], axis=-1)
        self._dirs = dirs.astype(np.float32)

    def _scene(self, frame: int) -> o3d.t.geometry.RaycastingScene:
        scene = o3d.t.geometry.RaycastingScene()
        for inst, (verts, tris) in zip(self.instances, self._meshes):
            pose = inst.pose(frame)
            world = (verts @ pose[:3, :3].T + pose[:3, 3]).astype(np.float32)
            scene.add_triangles(o3d.core.Tensor(world), o3d.core.Tensor(tris))
        return scene

    def render(self, frame: int, cam_pose: np.ndarray) -> RenderedFrame:
        """Render 0-based ``frame`` of the scene from the camera-to-world pose ``cam_pose``."""
        rot, eye = cam_pose[:3, :3], cam_pose[:3, 3]
        dirs = np.einsum("hwj,ij->hwi", self._dirs, rot.astype(np.float32))
        rays = np.concatenate([np.broadcast_to(eye.astype(np.float32), dirs.shape), dirs], axis=-1)
        hit = self._scene(frame).cast_rays(o3d.core.Tensor(np.ascontiguousarray(rays)), nthreads=self.nthreads)
        t = hit["t_hit"].numpy()
        valid = np.isfinite(t)
        geom = np.where(valid, hit["geometry_ids"].numpy().astype(np.int64), -1)
        instance = self._ids[geom + 1]
        depth = np.where(valid, t, 0.0).astype(np.float32)
        color = np.zeros(depth.shape + (3,), dtype=np.uint8)
        color[valid] = self._shade(frame, hit["primitive_normals"].numpy()[valid], depth[valid], dirs[valid],
                                   geom[valid], eye)
        return RenderedFrame(color, depth, instance)

    def _shade(self, frame: int, normals: np.ndarray, depth: np.ndarray, dirs: np.ndarray, geom: np.ndarray,
               eye: np.ndarray) -> np.ndarray:
        """BGR of N hit pixels: albedo x (plane-wave texture in object coordinates) x (ambient + two world lights)."""
        toward = np.where(np.einsum("nc,nc->n", normals, dirs) > 0, -1.0, 1.0).astype(np.float32)
        facing = normals * toward[:, None]
        lit = np.clip(np.einsum("nj,lj->nl", facing, LIGHTS), 0.0, None)
        light = AMBIENT + np.einsum("nl,l->n", lit, LIGHT_WEIGHTS)
        points = eye.astype(np.float32) + dirs * depth[:, None]
        order = np.argsort(geom, kind="stable")
        starts = np.searchsorted(geom[order], np.arange(len(self.instances) + 1))
        rgb = np.empty((len(geom), 3), dtype=np.float32)
        for g, inst in enumerate(self.instances):
            rows = order[starts[g]:starts[g + 1]]
            if len(rows) == 0:
                continue
            pose = inst.pose(frame).astype(np.float32)
            local = np.einsum("nj,ji->ni", points[rows] - pose[:3, 3], pose[:3, :3])
            tex = inst.texture.astype(np.float32)
            waves = np.sin(2 * np.pi * np.einsum("nj,kj->nk", local, tex[:, :3]) + tex[:, 3]).mean(axis=1)
            rgb[rows] = inst.color.astype(np.float32) * ((0.78 + 0.22 * waves) * light[rows])[:, None]
        return np.clip(rgb[:, ::-1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
