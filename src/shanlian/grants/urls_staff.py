"""Routes of the staff pages (included by urls.py, namespace `grants`): the rounds a person runs and each round's
tabs and actions before the award; and the experts' review pages."""

from django.urls import path

from . import views_expert, views_staff

urlpatterns: list = [
    path("rounds/", views_staff.staff_rounds, name="staff_rounds"),
    path("rounds/new/", views_staff.staff_round_create, name="staff_round_create"),
    path("rounds/<id:round_id>/manage/", views_staff.staff_round, name="staff_round"),
    path("rounds/<id:round_id>/manage/open/", views_staff.staff_round_open, name="staff_round_open"),
    path("rounds/<id:round_id>/manage/close/", views_staff.staff_round_close, name="staff_round_close"),
    path("rounds/<id:round_id>/manage/extend/", views_staff.staff_phase_extend, name="staff_phase_extend"),
    path("rounds/<id:round_id>/manage/needs/", views_staff.staff_round_needs, name="staff_round_needs"),
    path("rounds/<id:round_id>/manage/needs/merge/", views_staff.staff_need_merge, name="staff_need_merge"),
    path("rounds/<id:round_id>/manage/proposals/", views_staff.staff_round_proposals, name="staff_round_proposals"),
    path("rounds/<id:round_id>/manage/review/", views_staff.staff_round_review, name="staff_round_review"),
    path("rounds/<id:round_id>/manage/review/rubric/", views_staff.staff_rubric_set, name="staff_rubric_set"),
    path("rounds/<id:round_id>/manage/review/assign/", views_staff.staff_reviews_assign, name="staff_reviews_assign"),
    path("rounds/<id:round_id>/manage/vote/", views_staff.staff_round_vote, name="staff_round_vote"),
    path("rounds/<id:round_id>/manage/vote/paper/", views_staff.staff_paper_key, name="staff_paper_key"),
    path("rounds/<id:round_id>/manage/allocation/", views_staff.staff_round_allocation, name="staff_round_allocation"),
    path("rounds/<id:round_id>/manage/allocation/contest-winners/", views_staff.staff_contest_register, name="staff_contest_register"),
    path("rounds/<id:round_id>/manage/allocation/run/", views_staff.staff_allocation_run, name="staff_allocation_run"),
    path("manage/proposals/<id:proposal_id>/", views_staff.staff_proposal, name="staff_proposal"),
    path("manage/proposals/<id:proposal_id>/screen/", views_staff.staff_proposal_screen, name="staff_proposal_screen"),
    path("manage/proposals/<id:proposal_id>/return/", views_staff.staff_proposal_return, name="staff_proposal_return"),
    path("manage/results/<id:result_id>/override/", views_staff.staff_result_override, name="staff_result_override"),
    path("manage/results/<id:result_id>/payer/", views_staff.staff_result_payer, name="staff_result_payer"),
    path("reviews/", views_expert.expert_reviews, name="expert_reviews"),
    path("reviews/<id:assignment_id>/", views_expert.expert_review, name="expert_review"),
    path("reviews/<id:assignment_id>/recuse/", views_expert.expert_recuse, name="expert_recuse"),
    path("reviews/<id:assignment_id>/tie/", views_expert.expert_tie, name="expert_tie"),
]
