"""Writes examples/customers.csv: a made-up customer table with every column kind synthgen
handles (id, datetime, integer, numeric, categorical, boolean), missing values, a point mass
and planted relationships. Run it again to regenerate the file; the seed keeps it identical."""

from pathlib import Path

import numpy as np
import pandas as pd


def make_customers(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.choice(["consumer", "small business", "enterprise"], size=n, p=[0.6, 0.3, 0.1])
    age = np.clip(rng.normal(41, 12, n).round(), 18, 90).astype(int)
    base = {"consumer": 38_000, "small business": 61_000, "enterprise": 95_000}
    income = np.array([base[s] for s in segment]) * np.exp(rng.normal(0, 0.35, n)) + 400 * (age - 40)
    income = np.round(np.clip(income, 9_000, None), 2)
    country = rng.choice(["DE", "FR", "NL", "BE", "AT", "LU"], size=n, p=[0.45, 0.25, 0.15, 0.1, 0.045, 0.005])
    signup = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    active = rng.random(n) < np.where(segment == "enterprise", 0.9, 0.65)
    spend = np.where(active, np.round(income / 1000 * rng.gamma(2.0, 1.5, n), 2), 0.0)
    spend = np.where(rng.random(n) < 0.08, np.nan, spend)  # not recorded for 8 % of customers
    return pd.DataFrame({
        "customer_id": [f"C{100000 + i}" for i in range(n)],
        "signup_date": signup.strftime("%Y-%m-%d"),
        "segment": segment,
        "country": country,
        "age": age,
        "income": income,
        "is_active": active,
        "monthly_spend": spend,
    })


if __name__ == "__main__":
    out = Path(__file__).with_name("customers.csv")
    make_customers().to_csv(out, index=False)
    print(f"wrote {out}")
