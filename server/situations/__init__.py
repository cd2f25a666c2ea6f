"""Situations: the log folded into incidents (events grouped by place, time and affinity) and
complaint clusters; pure and deterministic, shared by the server, replays and the briefing."""

from server.situations.book import SituationBook, fold, situation_id, split_id
from server.situations.clusters import cluster_id
from server.situations.settings import SituationSettings

__all__ = ["SituationBook", "SituationSettings", "cluster_id", "fold", "situation_id", "split_id"]
