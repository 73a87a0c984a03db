"""The coalition's regional plane, where stages do their metric arithmetic.

A Lambert conformal conic projection centred on the region: conformal, so it is a
tangent plane at every point up to a scale factor that stays within about 1% from
Egypt to the Gulf, and one plane for the whole picture means tracks from different
partners can be compared without per-track re-projection. Altitude is kept apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

REGION_PROJ = "+proj=lcc +lat_1=18 +lat_2=34 +lat_0=26 +lon_0=45 +datum=WGS84 +units=m +no_defs"


class RegionalPlane:
    """Vectorised WGS84 <-> plane metres; one instance is shared by all stages."""

    def __init__(self, proj: str = REGION_PROJ) -> None:
        self._proj = proj
        self._fwd = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
        self._inv = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)

    def __reduce__(self) -> tuple[type[RegionalPlane], tuple[str]]:
        return (RegionalPlane, (self._proj,))  # rebuilt, not its transformers pickled

    def to_xy(
        self, lon: ArrayLike, lat: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def to_lonlat(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lon, lat = self._inv.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, float), np.asarray(lat, float)

    def point_xy(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self._fwd.transform(lon, lat)
        return float(x), float(y)

    def point_lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._inv.transform(x, y)
        return float(lon), float(lat)

    def transformer(self) -> Any:
        """The forward transformer, for shapely.ops.transform of whole geometries."""
        return self._fwd.transform


_DEFAULT: RegionalPlane | None = None


def regional_plane() -> RegionalPlane:
    """The shared plane (building a Transformer costs milliseconds; do it once)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RegionalPlane()
    return _DEFAULT
