"""Storage of private files (PIX attestations): on disk outside MEDIA_ROOT and without any URL,
so that nothing but a view that checks who asks can serve them."""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("A private file has no public URL: serve it through a checked view.")
