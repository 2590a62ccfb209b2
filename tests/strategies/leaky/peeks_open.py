"""A deliberately leaky target-weight strategy: it rebalances when the open it trades at gaps
up, which no order placed before that open can know (check-bias must catch it)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.panel import PricePanel
from strategies.base import Strategy


class PeeksOpen(Strategy):
    name = "peeks_open"
    description = "rebalances at an open that gaps above the previous close (peeks at open[t])"

    def target_weights(self, panel: PricePanel) -> pd.DataFrame:
        weights = pd.Series(self.portfolio.weights)[panel.tickers].to_numpy(float)
        gap = (panel.open > panel.close.shift(1)).any(axis=1).to_numpy().copy()
        gap[0] = True
        targets = np.where(gap[:, None], weights[None, :], np.nan)
        return pd.DataFrame(targets, index=panel.sessions, columns=panel.tickers)
