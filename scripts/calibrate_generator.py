"""Derive the synthetic generator's profile from the real REES46 sample files.

Usage: `python scripts/calibrate_generator.py [DATA_DIR] [--out PATH] [--top N] [--groups N]`

Reads the multi-category store slices (`rees46_*.csv.gz`) of DATA_DIR (default:
`../shared/data` relative to the repository) and writes aggregate statistics only
(no event rows) to `src/ecomstream/sources/generator_profile.json`. The electronics
fragments are left out on purpose: their blocks were chosen by hand (duplicates,
missing sessions, five users' histories), so their shares are biased.

Most settings are measured directly. Four are then tuned by running the generator a
few times until it reproduces the measured figures: repeat views, staying in a category
(chance repeats and switches shift them), the weight of short returns (sessions overlap
a window's edges) and the number of tail products (distinct products in the slice).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import orjson
import polars as pl

from ecomstream.sources.clickstats import describe, prepare, window_repeat_share
from ecomstream.sources.profile import GeneratorProfile
from ecomstream.sources.synthetic import EventGenerator

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "ecomstream" / "sources" / "generator_profile.json"

# Published figures of the full 2019-Nov file (quoted in shared/data/README.md): they anchor
# the share of sessions that are a user's first, which hour-long slices cannot show.
NOV_SESSIONS, NOV_USERS = 13_776_050, 3_696_117
REMOVE_SHARE_OF_CARTS = 1 / 3
"""Assumption: REES46 has no remove_from_cart; the cosmetics shop has them (see the README)."""
MAX_SESSION_S = 7_200
"""Sessions longer than this (0.1 % in the slices) are squeezed to it."""
LONG_LAG_S = (6 * 3_600, 30 * 86_400)
"""Assumption: returns after more than the slices can show are log-uniform over 6 h - 30 d."""
PRIOR = 20.0
"""Pseudo-views that pull a product's cart/purchase propensity towards the mean."""
GAP_PROBS = np.concatenate(
    [np.arange(0, 0.95, 0.01), np.arange(0.95, 0.995, 0.005), np.arange(0.995, 0.9995, 0.001), [0.9995, 1.0]]
)
TUNING_ROUNDS = 5
DAMPING = 0.7


def read_slices(data_dir: Path) -> pl.DataFrame:
    """All rows of the REES46 slices, `prepare`d with the file name as the slice."""
    paths = sorted(data_dir.glob("rees46_*.csv.gz"))
    if not paths:
        sys.exit(f"no rees46_*.csv.gz files in {data_dir}")
    frames = [
        pl.read_csv(path, infer_schema_length=0).with_columns(pl.lit(path.name).alias("file"))
        for path in paths
    ]
    return prepare(pl.concat(frames), part="file")


def session_stats(df: pl.DataFrame) -> dict:
    """Session shapes, within-session gaps and the behaviour inside sessions."""
    with_session = df.filter(pl.col("user_session") != "")
    key = ["part", "user_session"]
    shapes = (
        with_session.group_by(key)
        .agg(
            (pl.col("event_type") == "view").sum().alias("views"),
            (pl.col("event_type") == "cart").sum().alias("carts"),
            (pl.col("event_type") == "purchase").sum().alias("purchases"),
        )
        .filter(pl.col("views") > 0)
        .group_by("views", "carts", "purchases")
        .len()
        .sort("views", "carts", "purchases")
    )
    gaps = (
        with_session.select((pl.col("t") - pl.col("t").shift(1)).over(key).alias("gap"))["gap"]
        .drop_nulls()
        .to_numpy()
    )
    views = with_session.filter(pl.col("event_type") == "view")
    shares = views.group_by("category_id").len()["len"].to_numpy() / views.height
    base = float((shares**2).sum())
    carted = with_session.filter(pl.col("event_type") == "cart").select(*key, "product_id").unique()
    purchases = with_session.filter(pl.col("event_type") == "purchase").select(*key, "product_id")
    in_cart_sessions = purchases.join(carted.select(key).unique(), on=key)
    from_cart = in_cart_sessions.join(carted, on=[*key, "product_id"], how="semi").height
    return {
        "shapes": shapes,
        "gap_quantiles_s": np.quantile(gaps, GAP_PROBS),
        "category_base": base,
        "purchase_from_cart": from_cart / max(in_cart_sessions.height, 1),
    }


def user_stats(df: pl.DataFrame) -> dict:
    """Returning users: lags between a user's sessions and the repeat share of the longest slice."""
    starts = (
        df.filter(pl.col("user_session") != "")
        .group_by("part", "user_id", "user_session")
        .agg(pl.col("t").min().alias("t0"))
        .sort("part", "user_id", "t0")
        .with_columns((pl.col("t0") - pl.col("t0").shift(1)).over("part", "user_id").alias("lag"))
    )
    lags = starts["lag"].drop_nulls().to_numpy()
    longest = df.group_by("part").agg((pl.col("t").max() - pl.col("t").min() + 1).alias("span")).sort("span")
    name, span = longest.row(-1)
    in_slice = df.filter(pl.col("part") == name)
    new_share = NOV_USERS / NOV_SESSIONS
    repeat = window_repeat_share(in_slice)
    # First guess, tuned later: a return with lag d < T stays in a window T with chance 1 - d/T.
    in_window = float(np.mean(np.clip(1 - lags / span, 0, 1)))
    return {
        "new_share": new_share,
        "short_weight": min(1.0, repeat / ((1 - new_share) * in_window)),
        "short_lag_quantiles_s": np.quantile(lags, np.linspace(0, 1, 51)),
        "window_s": int(span),
        "window_repeat_share": repeat,
        "window_rate": in_slice.height / span,
        "window_products": in_slice["product_id"].n_unique(),
    }


def _propensities(kind: str, rate: float) -> pl.Expr:
    return ((pl.col(f"{kind}s") + PRIOR * rate) / (pl.col("views") + PRIOR)).alias(f"{kind}_propensity")


def catalogue(df: pl.DataFrame, top: int, groups: int) -> dict:
    """The `top` most viewed products, and (category, brand) groups standing for the rest."""
    views_all = max(int((df["event_type"] == "view").sum()), 1)
    cart_rate = (df["event_type"] == "cart").sum() / views_all
    purchase_rate = (df["event_type"] == "purchase").sum() / views_all
    per_product = (
        df.group_by("product_id")
        .agg(
            (pl.col("event_type") == "view").sum().alias("views"),
            (pl.col("event_type") == "cart").sum().alias("carts"),
            (pl.col("event_type") == "purchase").sum().alias("purchases"),
            pl.col("category_id").mode().sort().first(),
            pl.col("category_code").mode().sort().first(),
            pl.col("brand").mode().sort().first(),
            pl.col("p").mode().sort().last().alias("price"),
        )
        .with_columns(
            _propensities("cart", cart_rate),
            _propensities("purchase", purchase_rate),
            pl.col("product_id").cast(pl.Int64),
        )
        .sort(["views", "product_id"], descending=[True, False])
    )
    head = per_product.head(top)
    rest = (
        per_product.slice(top)
        .group_by("category_id", "category_code", "brand")
        .agg(
            pl.col("views").sum(),
            pl.col("carts").sum(),
            pl.col("purchases").sum(),
            pl.len().alias("products"),
            ((pl.col("price") * pl.col("views")).sum() / pl.col("views").sum())
            .fill_nan(pl.col("price").mean())
            .alias("price_mean"),
            pl.col("price").clip(0.5).log().std().fill_null(0.5).alias("log_price_sd"),
        )
        .with_columns(_propensities("cart", cart_rate), _propensities("purchase", purchase_rate))
        .sort(["views", "products", "category_id", "brand"], descending=[True, True, False, False])
    )
    tail_views = int(rest["views"].sum())
    kept = rest.head(groups)
    cats = pl.concat(
        [head.select("category_id", "category_code"), kept.select("category_id", "category_code")]
    )
    cats = cats.unique().sort("category_id")
    brands = pl.concat([head["brand"], kept["brand"]]).unique().sort()
    cat_index = {c: i for i, c in enumerate(cats["category_id"].to_list())}
    brand_index = {b: i for i, b in enumerate(brands.to_list())}
    ranks = np.arange(1, per_product.height + 1)
    counts = per_product["views"].to_numpy().astype(float)
    sel = (ranks > top) & (counts >= 5)
    zipf = -float(np.polyfit(np.log(ranks[sel]), np.log(counts[sel]), 1)[0]) if sel.sum() > 10 else 1.0
    return {
        "categories": {"id": cats["category_id"].to_list(), "code": cats["category_code"].to_list()},
        "brands": brands.to_list(),
        "products": {
            "id": head["product_id"].to_list(),
            "category": [cat_index[c] for c in head["category_id"]],
            "brand": [brand_index[b] for b in head["brand"]],
            "price": [round(p, 2) for p in head["price"]],
            "views": head["views"].to_list(),
            "cart_propensity": _sig(head["cart_propensity"]),
            "purchase_propensity": _sig(head["purchase_propensity"]),
        },
        "tail": {
            "views_total": tail_views,
            "product_scale": 1.0,
            "zipf_exponent": round(zipf, 3),
            "category": [cat_index[c] for c in kept["category_id"]],
            "brand": [brand_index[b] for b in kept["brand"]],
            "products": kept["products"].to_list(),
            "views": kept["views"].to_list(),
            "price_mean": _sig(kept["price_mean"]),
            "log_price_sd": _sig(kept["log_price_sd"], 3),
            "cart_propensity": _sig(kept["cart_propensity"]),
            "purchase_propensity": _sig(kept["purchase_propensity"]),
        },
    }


def _sig(values: pl.Series | np.ndarray, digits: int = 4) -> list[float]:
    """Round to `digits` significant digits, to keep the JSON compact."""
    out = []
    for v in np.asarray(values, dtype=float):
        out.append(0.0 if v == 0 or not math.isfinite(v) else float(f"{v:.{digits}g}"))
    return out


def build(data_dir: Path, top: int, groups: int) -> dict:
    df = read_slices(data_dir)
    sessions = session_stats(df)
    users = user_stats(df)
    shapes = sessions["shapes"]
    target = describe(df)
    target["window_repeat_share"] = round(users["window_repeat_share"], 5)
    target["window_s"] = users["window_s"]
    target["window_events_per_second"] = round(users["window_rate"], 3)
    target["window_distinct_products"] = users["window_products"]
    base = sessions["category_base"]
    return {
        "format": 1,
        "source": {
            "data": "REES46 multi-category store slices (shared/data/rees46_*.csv.gz)",
            "attribution": "REES46 Marketing Platform / Open CDP, via Kaggle (mkechinov)",
            "regenerate": "python scripts/calibrate_generator.py ../shared/data",
        },
        "targets": target,
        "shapes": {
            "views": shapes["views"].to_list(),
            "carts": shapes["carts"].to_list(),
            "purchases": shapes["purchases"].to_list(),
            "count": shapes["len"].to_list(),
        },
        "remove_share_of_carts": round(REMOVE_SHARE_OF_CARTS, 4),
        "gap_probs": _sig(GAP_PROBS, 5),
        "gap_quantiles_s": _sig(sessions["gap_quantiles_s"]),
        "max_session_s": MAX_SESSION_S,
        "behaviour": {
            "repeat_view": target["repeat_view_share"],
            "category_stay": (target["category_stay_share"] - base) / (1 - base),
            "purchase_from_cart": round(sessions["purchase_from_cart"], 4),
        },
        "users": {
            "new_share": round(users["new_share"], 4),
            "short_weight": users["short_weight"],
            "short_lag_quantiles_s": _sig(users["short_lag_quantiles_s"]),
            "long_lag_s": list(LONG_LAG_S),
        },
        **catalogue(df, top, groups),
    }


def tune(raw: dict, rounds: int = TUNING_ROUNDS) -> None:
    """Adjust repeat_view, category_stay, short_weight and the tail's product scale until
    the generator, run at the rate of the longest slice for as long as it lasts, shows the
    figures measured on that slice (or on all slices)."""
    target = raw["targets"]
    behaviour, users, tail = raw["behaviour"], raw["users"], raw["tail"]
    rate, window = target["window_events_per_second"], target["window_s"]
    for round_ in range(rounds + 1):
        generator = EventGenerator(
            seed=12345, events_per_second=rate, profile=GeneratorProfile.from_dict(raw)
        )
        rows = prepare(generator.take(int(rate * window)))
        got = describe(rows)
        got_window = window_repeat_share(rows)
        products = got["distinct_products"]
        print(
            f"tuning {round_}: repeat {got['repeat_view_share']:.4f}/{target['repeat_view_share']:.4f}"
            f"  stay {got['category_stay_share']:.4f}/{target['category_stay_share']:.4f}"
            f"  returns {got_window:.4f}/{target['window_repeat_share']:.4f}"
            f"  products {products}/{target['window_distinct_products']}"
        )
        if round_ == rounds:
            break
        behaviour["repeat_view"] += DAMPING * (target["repeat_view_share"] - got["repeat_view_share"])
        behaviour["category_stay"] += DAMPING * (target["category_stay_share"] - got["category_stay_share"])
        users["short_weight"] *= target["window_repeat_share"] / max(got_window, 1e-6)
        tail["product_scale"] *= (target["window_distinct_products"] / max(products, 1)) ** 1.5
        behaviour["repeat_view"] = float(np.clip(behaviour["repeat_view"], 0, 1))
        behaviour["category_stay"] = float(np.clip(behaviour["category_stay"], 0, 1))
        users["short_weight"] = float(np.clip(users["short_weight"], 0, 1))
    for key in ("repeat_view", "category_stay"):
        behaviour[key] = round(behaviour[key], 4)
    users["short_weight"] = round(users["short_weight"], 4)
    tail["product_scale"] = round(tail["product_scale"], 3)


def write(profile: dict, out: Path) -> None:
    """One top-level key per line, each value compact, so diffs stay readable."""
    lines = [f"  {orjson.dumps(k).decode()}: {orjson.dumps(v).decode()}" for k, v in profile.items()]
    out.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--top", type=int, default=2_000, help="products kept with their own id")
    parser.add_argument("--groups", type=int, default=3_000, help="(category, brand) groups for the rest")
    args = parser.parse_args()
    profile = build(args.data_dir, args.top, args.groups)
    tune(profile)
    write(profile, args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1024:.0f} KiB)")
    print(orjson.dumps(profile["targets"], option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
