from services.policy.app import build
from services.runtime.service import serve

app, rt = build()
serve(app, rt.settings)
