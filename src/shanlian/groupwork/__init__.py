"""Group work (小组工作) and community activities (社区活动): a station's programmes, their sessions and who came."""
