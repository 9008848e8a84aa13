"""Azure Functions entry point: builds the app and registers the blueprints. Nothing else."""

import azure.functions as func

from functions.approvals import bp as approvals
from functions.events import bp as events
from functions.schedules import bp as schedules

app = func.FunctionApp()
app.register_functions(events)
app.register_functions(schedules)
app.register_functions(approvals)
