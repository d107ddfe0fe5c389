"""The registry's JSON model as an MLflow pyfunc, so that `models:/wine-classifier@champion`
loads and predicts in MLflow like any model of its registry:

    mlflow.pyfunc.load_model("models:/wine-classifier@champion").predict(frame)

MLflow's "models from code": it logs this file, not a pickle, and runs it to load the model
(`set_model` below). The artifact itself is the version's JSON file, loaded by model_registry
as the service loads it. A row is one sample, a column per feature; the answer is the class.
"""

import mlflow
from mlflow.pyfunc import PythonModel

from model_registry import ARCHIVED, load_file


class WineClassifier(PythonModel):
    def load_context(self, context):
        # The status only matters to the service (it refuses a retired model); here any
        # registered version may be loaded, to compare or to audit it.
        self.model = load_file(context.artifacts["model"], status=ARCHIVED)

    def predict(self, context, model_input, params=None):
        classes = []
        for row in model_input[list(self.model.feature_names)].itertuples(index=False):
            probabilities = self.model.predict_proba([float(value) for value in row])
            classes.append(self.model.classes[probabilities.index(max(probabilities))])
        return classes


mlflow.models.set_model(WineClassifier())
