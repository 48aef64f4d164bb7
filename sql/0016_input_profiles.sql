-- What each model was given (infer/input_profile.hpp): the series'
-- manufacturer, kVp, slice thickness and pixel spacing, and HU statistics
-- of the volume through the model's window. Drift monitors compare recent
-- weeks with a route's first studies by it (review/drift.hpp).
ALTER TABLE inference_audit ADD COLUMN input_profile jsonb NOT NULL DEFAULT '{}';
CREATE INDEX inference_audit_created ON inference_audit (model, created_at);
