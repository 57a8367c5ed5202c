"""Constant-velocity Kalman filter on boxes, state ``[cx, cy, w, h, vcx, vcy, vw, vh]`` (pixels, per frame).

Noise scales with the box size (as in ByteTrack/BoT-SORT), so one setting fits near and far objects.
Batch functions take stacked states so every track is predicted in one NumPy call.
"""

from __future__ import annotations

import numpy as np


def xyxy_to_cxcywh(b: np.ndarray) -> np.ndarray:
    """Nx4 XYXY -> Nx4 centre-x, centre-y, width, height."""
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    out = np.empty_like(b)
    np.add(b[:, :2], b[:, 2:], out=out[:, :2])
    out[:, :2] /= 2
    np.subtract(b[:, 2:], b[:, :2], out=out[:, 2:])
    return out


def cxcywh_to_xyxy(b: np.ndarray) -> np.ndarray:
    """Nx4 centre-x, centre-y, width, height -> Nx4 XYXY."""
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    half = b[:, 2:] / 2
    out = np.empty_like(b)
    np.subtract(b[:, :2], half, out=out[:, :2])
    np.add(b[:, :2], half, out=out[:, 2:])
    return out


class BoxKalman:
    """The filter's noise model; states live with the tracks, as (8,) means and (8, 8) covariances."""

    def __init__(self, std_position: float = 1 / 20, std_velocity: float = 1 / 160):
        self.std_position = std_position
        self.std_velocity = std_velocity

    def initiate(self, cxcywh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A new state from one measured box, with zero velocity and wide velocity uncertainty."""
        z = np.asarray(cxcywh, dtype=np.float64)
        wh = np.array([z[2], z[3], z[2], z[3]])
        std = np.concatenate([2 * self.std_position * wh, 10 * self.std_velocity * wh])
        return np.concatenate([z, np.zeros(4)]), np.diag(std**2)

    def predict(self, means: np.ndarray, covs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame ahead for Nx8 means and Nx8x8 covariances (``F P F^T`` written as the two block additions
        that the constant-velocity ``F`` amounts to)."""
        wh = np.tile(means[:, 2:4], 2)
        q = np.concatenate([self.std_position * wh, self.std_velocity * wh], axis=1) ** 2
        means = means.copy()
        means[:, :4] += means[:, 4:]
        covs = covs.copy()
        covs[:, :4, :] += covs[:, 4:, :]
        covs[:, :, :4] += covs[:, :, 4:]
        covs.reshape(len(covs), 64)[:, ::9] += q
        return means, covs

    def update_batch(self, means: np.ndarray, covs: np.ndarray, cxcywh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Correct Nx8 means / Nx8x8 covariances with Nx4 measured boxes."""
        wh = np.concatenate([means[:, 2:4], means[:, 2:4]], axis=1)
        s = covs[:, :4, :4].copy()
        s[:, np.arange(4), np.arange(4)] += (self.std_position * wh) ** 2
        gain = np.linalg.solve(s, covs[:, :4, :]).transpose(0, 2, 1)  # N x 8 x 4
        innovation = np.asarray(cxcywh, dtype=np.float64).reshape(-1, 4) - means[:, :4]
        means = means + np.einsum("nij,nj->ni", gain, innovation)
        covs = covs - gain @ s @ gain.transpose(0, 2, 1)
        return means, covs

    def update(self, mean: np.ndarray, cov: np.ndarray, cxcywh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Correct one state with a measured box."""
        means, covs = self.update_batch(mean[None], cov[None], np.asarray(cxcywh)[None])
        return means[0], covs[0]


class PointKalman3D:
    """Constant-velocity filter on a 3D point, state ``[x, y, z, vx, vy, vz]`` (metres, metres per second).

    Time steps are given in seconds, so a changing frame rate behaves; the process noise is a random
    acceleration of ``accel_std`` m/s^2, the measurement noise ``measure_std`` metres per axis.
    """

    def __init__(self, accel_std: float = 2.0, measure_std: float = 0.03):
        self.accel_std = accel_std
        self.measure_std = measure_std
        self._h, self._r = np.eye(3, 6), measure_std**2 * np.eye(3)
        self._motion: tuple[float, np.ndarray, np.ndarray] | None = None  # (dt, F, Q) of the last predict

    def initiate(self, xyz: np.ndarray, velocity_std: float) -> tuple[np.ndarray, np.ndarray]:
        """A new state at ``xyz`` with zero velocity of uncertainty ``velocity_std`` m/s."""
        cov = np.diag([self.measure_std**2] * 3 + [velocity_std**2] * 3)
        return np.concatenate([np.asarray(xyz, dtype=np.float64), np.zeros(3)]), cov

    def predict(self, mean: np.ndarray, cov: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """The state ``dt`` seconds ahead."""
        f, q = self._motion_model(dt)
        return f @ mean, f @ cov @ f.T + q

    def _motion_model(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """``F`` and ``Q`` for a step of ``dt`` seconds, kept for the next call (every track steps by the same dt)."""
        if self._motion is None or self._motion[0] != dt:
            f = np.eye(6)
            f[:3, 3:] = dt * np.eye(3)
            g = np.concatenate([0.5 * dt**2 * np.eye(3), dt * np.eye(3)])
            self._motion = (dt, f, (self.accel_std**2) * g @ g.T)
        return self._motion[1], self._motion[2]

    def update(self, mean: np.ndarray, cov: np.ndarray, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Correct a state with a measured point."""
        h = self._h
        s = h @ cov @ h.T + self._r
        gain = np.linalg.solve(s, h @ cov).T
        return mean + gain @ (np.asarray(xyz, dtype=np.float64) - h @ mean), cov - gain @ s @ gain.T
