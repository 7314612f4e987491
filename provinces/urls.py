from django.urls import path

from . import views

app_name = "provinces"
urlpatterns = [
    path("", views.province_list, name="list"),
    path("<str:code>/", views.province_detail, name="detail"),
]
