"""The supervision pages, in the evaluation namespace (staff, organization, expert) and the public one."""

from __future__ import annotations

from typing import Any

from django.urls import path

from . import views_supervision as v

urlpatterns: list[Any] = [
    path("supervision/", v.supervision_tasks, name="supervision_tasks"),
    path("supervision/tasks/<id:supervision_task_id>/", v.supervision_task, name="supervision_task"),
    path("supervision/reminders/read/", v.supervision_reminders_read, name="supervision_reminders_read"),
    path("supervision/rectifications/", v.supervision_rectifications, name="supervision_rectifications"),
    path("supervision/rectifications/<id:rectification_id>/close/", v.supervision_rectification_close,
         name="supervision_rectification_close"),
    path("supervision/dashboard/", v.supervision_dashboard, name="supervision_dashboard"),
    path("supervision/groups/", v.supervision_groups, name="supervision_groups"),
    path("supervision/groups/new/", v.supervision_group_new, name="supervision_group_new"),
    path("supervision/groups/<id:supervision_group_id>/", v.supervision_group, name="supervision_group"),
    path("supervision/groups/<id:supervision_group_id>/edit/", v.supervision_group_edit, name="supervision_group_edit"),
    path("supervision/groups/<id:supervision_group_id>/end/", v.supervision_group_end, name="supervision_group_end"),
]
public_urlpatterns: list[Any] = []
