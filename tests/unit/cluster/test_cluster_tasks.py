"""How landing spreads deliveries over tasks: balanced groups, heaviest first."""

from __future__ import annotations

from orchestration.cluster.tasks import balanced_groups


def test_every_item_is_in_exactly_one_group_and_groups_are_balanced():
    sizes = [100, 1, 1, 1, 50, 50, 30, 20, 7, 3]
    groups = balanced_groups(sizes, 3)
    assert sorted(i for g in groups for i in g) == list(range(len(sizes)))
    totals = [sum(sizes[i] for i in g) for g in groups]
    assert totals == sorted(totals, reverse=True)  # the heaviest group is handed out first
    assert totals == [100, 82, 81]  # LPT: 100 | 50+30+1+1 | 50+20+7+3+1


def test_fewer_items_than_groups_and_no_items():
    assert balanced_groups([5, 9], 6) == [[1], [0]]
    assert balanced_groups([], 4) == []
