"""The generator's product catalogue: the profile's top products plus a synthetic long tail.

Products are sorted by category, so each category is an index range with its own alias
table, and a pick from the whole catalogue or within one category costs O(1). The text
of every product field is formatted once here and gathered per event later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ecomstream.sources.profile import GeneratorProfile

CATALOGUE_SEED = 20191101
"""Fixed, so every generator seed sees the same products."""
TAIL_FIRST_ID = 70_000_000
"""Synthetic product ids start here, above every real id in the samples (max ~60.5M)."""


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Products in category order, with sampling tables and their field texts."""

    category: np.ndarray
    """Category index per product (int32)."""
    cart_propensity: np.ndarray
    """Relative chance that a viewed product is carted."""
    purchase_propensity: np.ndarray
    """Relative chance that a viewed product is bought."""
    tables: tuple[tuple[np.ndarray, np.ndarray], ...]
    """Alias tables (probability, alias) over all products by intent: views, views x cart
    propensity, views x purchase propensity (where carting or buying sessions browse)."""
    in_category: tuple[np.ndarray, np.ndarray]
    """One alias table per category by view weight, each over its own index range."""
    cat_first: np.ndarray
    """First product index of each category (categories without products are empty)."""
    cat_end: np.ndarray
    text: dict[str, pl.Series]
    """`product_id`, `category_id`, `category_code`, `brand`, `price`, one string per product."""

    @property
    def size(self) -> int:
        return len(self.category)

    def pick(self, u: np.ndarray, intent: int = 0) -> np.ndarray:
        """Products for uniforms `u` in [0, 1), by view weight (intent 0) or conversion."""
        prob, alias = self.tables[intent]
        return _draw(prob, alias, np.zeros(len(u), np.int64), np.full(len(u), self.size), u)

    def pick_in(self, categories: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Products of the given categories for uniforms `u`, by view weight."""
        first = self.cat_first[categories]
        return _draw(*self.in_category, first, self.cat_end[categories] - first, u)


def _draw(prob: np.ndarray, alias: np.ndarray, first: np.ndarray, size: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Walker's alias method: one uniform per draw, O(1)."""
    x = u * size
    slot = np.minimum(x.astype(np.int64), size - 1)
    idx = first + slot
    return np.where(x - slot < prob[idx], idx, alias[idx]).astype(np.int32)


def _alias(weights: np.ndarray, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias table for `weights` (indexes shifted by `offset`)."""
    n = len(weights)
    total = float(weights.sum())
    scaled = (weights * (n / total)).tolist() if total > 0 else [1.0] * n
    prob, alias = [1.0] * n, list(range(n))
    small = [i for i, x in enumerate(scaled) if x < 1.0]
    large = [i for i, x in enumerate(scaled) if x >= 1.0]
    while small and large:
        s, g = small.pop(), large[-1]
        prob[s], alias[s] = scaled[s], g
        scaled[g] += scaled[s] - 1.0
        if scaled[g] < 1.0:
            small.append(large.pop())
    return np.array(prob), np.array(alias, dtype=np.int64) + offset


def build_catalogue(profile: GeneratorProfile) -> Catalogue:
    """The head products as they are, and the tail groups expanded into products."""
    rng = np.random.default_rng(CATALOGUE_SEED)
    head, tail = profile.products, profile.tail
    sizes = np.maximum(np.round(tail["products"] * profile.tail_product_scale), 1).astype(np.int64)
    group = np.repeat(np.arange(len(sizes)), sizes)
    rank = np.arange(len(group)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    zipf = (rank + 1.0) ** -profile.zipf_exponent
    group_sum = np.bincount(group, weights=zipf, minlength=len(sizes))
    scale = profile.tail_views_total / max(float(tail["views"].sum()), 1.0)
    tail_weight = zipf / group_sum[group] * tail["views"][group] * scale
    sd = tail["log_price_sd"][group]
    tail_price = tail["price_mean"][group] * np.exp(sd * rng.standard_normal(len(group)) - sd**2 / 2)
    tail_cents = np.round(tail_price * 100)
    tail_ids = TAIL_FIRST_ID + np.cumsum(rng.integers(1, 400, len(group)))

    ids = np.concatenate([head["id"].astype(np.int64), tail_ids])
    category = np.concatenate([head["category"], tail["category"][group]]).astype(np.int32)
    brand = np.concatenate([head["brand"], tail["brand"][group]]).astype(np.int32)
    cents = np.concatenate([np.round(head["price"] * 100), tail_cents]).astype(np.int64)
    weight = np.concatenate([head["views"].astype(float), tail_weight])
    carting = np.concatenate([head["cart_propensity"], tail["cart_propensity"][group]]).astype(float)
    buying = np.concatenate([head["purchase_propensity"], tail["purchase_propensity"][group]]).astype(float)

    order = np.lexsort((ids, category))
    ids, category, brand, cents = ids[order], category[order], brand[order], cents[order]
    weight, carting, buying = weight[order], carting[order], buying[order]
    n_categories = len(profile.category_ids)
    cat_first = np.searchsorted(category, np.arange(n_categories), side="left")
    cat_end = np.searchsorted(category, np.arange(n_categories), side="right")
    per_category = [_alias(weight[f:e], f) for f, e in zip(cat_first, cat_end, strict=True) if e > f]
    in_category = (
        np.concatenate([p for p, _ in per_category]),
        np.concatenate([a for _, a in per_category]),
    )
    return Catalogue(
        category=category,
        cart_propensity=carting,
        purchase_propensity=buying,
        tables=tuple(_alias(w) for w in _intent_weights(profile, weight, carting, buying)),
        in_category=in_category,
        cat_first=cat_first,
        cat_end=cat_end,
        text=_texts(profile, ids, category, brand, cents),
    )


def _intent_weights(
    profile: GeneratorProfile, weight: np.ndarray, carting: np.ndarray, buying: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Where sessions start browsing, by intent (browse, cart, purchase only).

    Carting and buying sessions start where carts and purchases are common; browsing
    sessions make up for it, so that all views together keep the real view shares.
    """
    views, carts, purchases = profile.shapes.T
    w = profile.shape_weights
    total = float(views @ w)
    share_cart = float(views[carts > 0] @ w[carts > 0]) / total
    share_buy = float(views[(carts == 0) & (purchases > 0)] @ w[(carts == 0) & (purchases > 0)]) / total
    target = weight / weight.sum()
    cart_w, buy_w = weight * carting, weight * buying
    cart_w, buy_w = cart_w / cart_w.sum(), buy_w / buy_w.sum()
    browse = target - share_cart * cart_w - share_buy * buy_w
    browse = np.maximum(browse, 0.05 * target)
    return browse, cart_w, buy_w


def _texts(
    profile: GeneratorProfile, ids: np.ndarray, category: np.ndarray, brand: np.ndarray, cents: np.ndarray
) -> dict[str, pl.Series]:
    cat_ids = pl.Series(profile.category_ids, dtype=pl.String)
    cat_codes = pl.Series(profile.category_codes, dtype=pl.String)
    brands = pl.Series(profile.brands, dtype=pl.String)
    units = pl.Series(cents // 100).cast(pl.String)
    hundredths = pl.Series(cents % 100).cast(pl.String).str.zfill(2)
    return {
        "product_id": pl.Series(ids).cast(pl.String),
        "category_id": cat_ids.gather(category),
        "category_code": cat_codes.gather(category),
        "brand": brands.gather(brand),
        "price": (units + "." + hundredths).rename("price"),
    }
