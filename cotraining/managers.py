from django.contrib.auth.base_user import BaseUserManager
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower


class UserManager(BaseUserManager):
    """Users log in by email; emails are stored lower-cased and compared case-insensitively."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        return self.get(email__iexact=self.normalize_email(username))

    def with_verified_email(self, emails):
        """Active accounts whose address is among `emails` and verified (allauth's EmailAddress).

        What was awarded to an address (a badge, a result) goes to an account only once its
        holder has proved the address is theirs: anyone may sign up with someone else's. Each
        user carries `lower_email`, the key to match the addresses with.
        """
        from allauth.account.models import EmailAddress

        verified = EmailAddress.objects.annotate(lower_email=Lower("email")).filter(
            user=OuterRef("pk"), lower_email=OuterRef("lower_email"), verified=True
        )
        return (
            self.annotate(lower_email=Lower("email"))
            .filter(lower_email__in={self.normalize_email(email) for email in emails})
            .filter(is_active=True)
            .filter(Exists(verified))
        )

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)
