"""The calibration profile of the synthetic generator (see `synthetic` for what it holds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ecomstream.errors import SourceError

PROFILE_PATH = Path(__file__).with_name("generator_profile.json")
"""The packaged profile, written by `scripts/calibrate_generator.py`."""


@dataclass(frozen=True, eq=False)
class GeneratorProfile:
    """Aggregate statistics of the real data that drive the generator.

    Arrays are read-only numpy arrays; `targets` keeps the real figures for comparison.
    """

    shapes: np.ndarray
    """Session shapes as rows (views, carts, purchases); every row has at least one view."""
    shape_weights: np.ndarray
    remove_share_of_carts: float
    gap_probs: np.ndarray
    gap_quantiles_s: np.ndarray
    """Within-session gaps between consecutive events (seconds), as a quantile table."""
    max_session_s: float
    repeat_view: float
    category_stay: float
    """Chance that a view of a new product stays in the category of the view before."""
    purchase_from_cart: float
    new_share: float
    short_weight: float
    short_lag_quantiles_s: np.ndarray
    long_lag_s: tuple[float, float]
    category_ids: tuple[str, ...]
    category_codes: tuple[str, ...]
    brands: tuple[str, ...]
    products: dict[str, np.ndarray]
    """Top products: `id`, `category`, `brand` (indexes), `price`, `views`,
    `cart_propensity`, `purchase_propensity`."""
    tail: dict[str, np.ndarray]
    """(category, brand) groups for the other products: `category`, `brand`, `products`,
    `views`, `price_mean`, `log_price_sd`, `cart_propensity`, `purchase_propensity`."""
    tail_views_total: float
    zipf_exponent: float
    tail_product_scale: float
    """Products per tail group relative to those seen in the slices (a month shows more)."""
    targets: dict[str, Any] = field(default_factory=dict)

    @property
    def mean_session_length(self) -> float:
        """Expected events per session, remove_from_cart included."""
        w = self.shape_weights
        views, carts, purchases = (self.shapes[:, i] @ w for i in range(3))
        return float(views + carts * (1 + self.remove_share_of_carts) + purchases)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> GeneratorProfile:
        """Build from the JSON object; raises SourceError when something is missing."""
        try:
            shapes = raw["shapes"]
            behaviour, users, tail = raw["behaviour"], raw["users"], raw["tail"]
            profile = cls(
                shapes=_array(np.column_stack([shapes["views"], shapes["carts"], shapes["purchases"]])),
                shape_weights=_array(np.asarray(shapes["count"], float) / np.sum(shapes["count"])),
                remove_share_of_carts=float(raw["remove_share_of_carts"]),
                gap_probs=_array(raw["gap_probs"], float),
                gap_quantiles_s=_array(raw["gap_quantiles_s"], float),
                max_session_s=float(raw["max_session_s"]),
                repeat_view=float(behaviour["repeat_view"]),
                category_stay=float(behaviour["category_stay"]),
                purchase_from_cart=float(behaviour["purchase_from_cart"]),
                new_share=float(users["new_share"]),
                short_weight=float(users["short_weight"]),
                short_lag_quantiles_s=_array(users["short_lag_quantiles_s"], float),
                long_lag_s=(float(users["long_lag_s"][0]), float(users["long_lag_s"][1])),
                category_ids=tuple(raw["categories"]["id"]),
                category_codes=tuple(raw["categories"]["code"]),
                brands=tuple(raw["brands"]),
                products={k: _array(v) for k, v in raw["products"].items()},
                tail={k: _array(v) for k, v in tail.items() if isinstance(v, list)},
                tail_views_total=float(tail["views_total"]),
                zipf_exponent=float(tail["zipf_exponent"]),
                tail_product_scale=float(tail.get("product_scale", 1.0)),
                targets=dict(raw.get("targets", {})),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SourceError(f"invalid generator profile: {exc!r}") from exc
        profile.check()
        return profile

    def check(self) -> None:
        """Raise SourceError on a profile the generator cannot use."""
        problems = []
        if self.shapes.ndim != 2 or self.shapes.shape[0] == 0 or (self.shapes[:, 0] < 1).any():
            problems.append("shapes need at least one view each")
        if len(self.gap_probs) != len(self.gap_quantiles_s) or (np.diff(self.gap_quantiles_s) < 0).any():
            problems.append("gap quantiles must be non-decreasing and match gap_probs")
        if not 0 < self.new_share <= 1:
            problems.append("new_share must be in (0, 1]")
        if len(self.category_ids) != len(self.category_codes):
            problems.append("categories: id and code differ in length")
        if len(self.products.get("id", ())) == 0:
            problems.append("no products")
        if problems:
            raise SourceError("invalid generator profile: " + "; ".join(problems))


def _array(values: Any, dtype: type | None = None) -> np.ndarray:
    out = np.asarray(values, dtype=dtype)
    out.flags.writeable = False
    return out


def load_profile(path: str | Path | None = None) -> GeneratorProfile:
    """Read a profile JSON file; the packaged one when `path` is None."""
    target = Path(path) if path is not None else PROFILE_PATH
    try:
        raw = orjson.loads(target.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise SourceError(f"cannot read generator profile {target}: {exc}") from exc
    return GeneratorProfile.from_dict(raw)
