"""Associator: global nearest neighbour over one batch's hypotheses.

A report updates at most one track, and one sensor's reports in a batch update a track
at most once each - a sensor that reports two objects sees two objects. Reports from
different sensors do not compete, so the columns of the assignment problem are
(track, sensor) pairs, and the problem falls apart into independent pieces: the
connected components of the gating graph. Most pieces are a single report and a
single track and are settled without a solver; the rest go to
`scipy.optimize.linear_sum_assignment`, which first maximises the number of pairs and
then minimises the sum of the pairs' costs (negative log-likelihoods, see
`hypothesiser`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from warnline.picture.hypothesiser import Hypotheses
from warnline.picture.models import IntArray

_OUTSIDE = 1e12  # cost of a pair that is not a hypothesis; never chosen over a real one


class Associator:
    def associate(
        self, hypotheses: Hypotheses, sensor: IntArray, n_sensors: int
    ) -> tuple[IntArray, IntArray]:
        """(reports, slots) of the chosen pairs; `sensor[i]` is report i's sensor code."""
        if len(hypotheses) == 0:
            empty = np.zeros(0, np.intp)
            return empty, empty
        column_key = hypotheses.slot * n_sensors + sensor[hypotheses.report]
        rows, row = np.unique(hypotheses.report, return_inverse=True)
        _, column = np.unique(column_key, return_inverse=True)
        row_degree = np.bincount(row)
        column_degree = np.bincount(column)
        alone = (row_degree[row] == 1) & (column_degree[column] == 1)
        chosen_reports = [hypotheses.report[alone]]
        chosen_slots = [hypotheses.slot[alone]]
        shared = np.flatnonzero(~alone)
        if len(shared):
            for reports, slots in self._solve(hypotheses, row, column, shared, len(rows)):
                chosen_reports.append(reports)
                chosen_slots.append(slots)
        return np.concatenate(chosen_reports), np.concatenate(chosen_slots)

    def _solve(
        self,
        hypotheses: Hypotheses,
        row: IntArray,
        column: IntArray,
        shared: IntArray,
        n_rows: int,
    ) -> list[tuple[IntArray, IntArray]]:
        n_columns = int(column.max()) + 1
        nodes = n_rows + n_columns
        graph = coo_matrix(
            (np.ones(len(shared)), (row[shared], n_rows + column[shared])), shape=(nodes, nodes)
        )
        _, label = connected_components(graph, directed=False)
        component = label[row[shared]]
        order = np.argsort(component, kind="stable")
        edges = shared[order]
        cuts = np.flatnonzero(np.diff(component[order])) + 1
        results = []
        for piece in np.split(edges, cuts):
            piece_rows, r = np.unique(row[piece], return_inverse=True)
            piece_columns, c = np.unique(column[piece], return_inverse=True)
            cost = np.full((len(piece_rows), len(piece_columns)), _OUTSIDE)
            cost[r, c] = hypotheses.cost[piece]
            a, b = linear_sum_assignment(cost)
            real = cost[a, b] < _OUTSIDE
            a, b = a[real], b[real]
            # Map back: an edge of this piece with row a and column b is the chosen pair.
            pick = np.full((len(piece_rows), len(piece_columns)), -1, np.intp)
            pick[r, c] = piece
            chosen = pick[a, b]
            results.append((hypotheses.report[chosen], hypotheses.slot[chosen]))
        return results
