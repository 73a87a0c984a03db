"""The picture stage: correlation of partners' reports into coalition tracks.

Built from the roles of the tracking literature, one module each: `predictor`,
`hypothesiser`, `associator`, `initiator`, `updater`, `deleter` (with `watch` and
`silence`: what sensors' silence says), plus `fusion` for what is not kinematic;
`picture.Picture` plugs them together. It knows nothing of partners' areas or alerts.
"""

from warnline.picture.picture import Picture

__all__ = ["Picture"]
