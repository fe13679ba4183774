"""The badges layer's pages, one module per sub-domain: hosted Open Badges (`hosted`), the
holder's backpack (`backpack`), awarding by hand or by file (`awarding`), the awarded list and
revocation (`revocation`), PIX certifications and imports (`pix`)."""
