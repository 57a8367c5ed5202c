"""Online 3D instance map: lifting segments with depth and pose into a bounded sparse voxel map."""

from perception.map3d.instance_map import InstanceMap, MapConfig
from perception.map3d.stage import Map3DStage, build_map3d_stage

__all__ = ["InstanceMap", "MapConfig", "Map3DStage", "build_map3d_stage"]
