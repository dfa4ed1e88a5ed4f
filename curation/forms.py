from django import forms

from curation.models import Lab


class SubmissionCreateForm(forms.Form):
    lab = forms.ModelChoiceField(queryset=Lab.objects.none())
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    domain = forms.CharField(
        max_length=60, required=False, help_text="e.g. manipulation, navigation, humanoid"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lab"].queryset = Lab.objects.filter(members=user)
        if self.fields["lab"].queryset.count() == 1:
            self.fields["lab"].initial = self.fields["lab"].queryset.first()


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ImportForm(forms.Form):
    source = forms.ChoiceField(choices=[("path", "Server path"), ("hub", "Hub repo id")])
    ref = forms.CharField(max_length=500, label="Path or repo id")


class ArchiveForm(forms.Form):
    archive = forms.FileField(help_text=".zip, .tar or .tar.gz of the dataset folder")
