"""URL routes of the example project."""

from django.urls import path

from djangoapp import views

urlpatterns = [
    path("", views.index, name="index"),
    path("echo/", views.echo, name="echo"),
]
