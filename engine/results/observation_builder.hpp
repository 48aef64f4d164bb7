// FHIR R4 Observations for a job's findings: what radbridge sends to a FHIR
// server.
//
// build_observations makes one Observation per finding the models produced
// (models in the order of `results`, findings in each model's order), and for
// a probability finding whose mapping has a `probability` code a second,
// separate Observation holding the probability as a valueQuantity with UCUM
// unit "1" (as the ORU has a separate NM OBX for it; a separate resource can
// be searched by its own code, a component could not). Every Observation has:
// - identifier: fhir_identifier_system and fhir_identifier_value(job_key,
//   what), `what` being the finding label, or label + "/probability";
// - status "preliminary" (no radiologist has signed it), category imaging,
//   code: the mapping's observation concept;
// - subject: a logical reference by identifier (no Patient id is known
//   here): the route's patient system, and the first PID-3 ID number whose
//   CX-4.1 equals the route's patient assigner, or the first PID-3 when the
//   assigner is empty; never an identifier of another assigner;
// - effectiveDateTime: OBR-7, else OBR-6, else MSH-7, by fhir_date_time
//   (date only when the timestamp has no offset); issued: input.issued (UTC);
// - valueCodeableConcept: the mapping's present or absent concept; or
//   valueQuantity: the value with the mapping's UCUM unit;
// - interpretation AA (v3 ObservationInterpretation, critical abnormal) only
//   when the job's acuity is the route's critical level and this finding is
//   one of that level's triggers that held (probability, or else value, at
//   least the threshold; a probability finding also present);
// - derivedFrom: the ImagingStudy the model read, by Study Instance UID
//   (identifier urn:dicom:uid, urn:oid:UID). derivedFrom, not partOf: the
//   value is derived from those images; partOf names an event the
//   Observation is a step of, and a later model run is no step of the scan;
// - basedOn: the ServiceRequest by accession (identifier typed v2-0203
//   ACSN): from the route's study path when the route keys studies by
//   accession, else OBR-18.1, else OBR-3.1; left out when all are empty;
// - device: a contained Device naming the model (deviceName type
//   model-name) and its version, referenced as "#device-<model id>", with
//   characters a FHIR id does not allow turned into '-'.
//
// The same input gives the same bytes (compact JSON, fixed member order); no
// clock is read. Throws build_error, with a message naming the field or
// label, when the input cannot make correct Observations: no route, no
// order, no suitable PID-3, a finding the route does not map or maps without
// the codes or unit it needs, a finding with neither present nor value, a
// probability outside 0..1 or a value that is not finite, a malformed or
// absent timestamp, a Study Instance UID that is not a UID.
#pragma once

#include <string>
#include <vector>

#include "results/result_input.hpp"

namespace radbridge::results {

struct observation_document {
  std::string what;        // the finding label, or label + "/probability"
  std::string identifier;  // fhir_identifier_value(job_key, what)
  std::string json;        // the Observation, compact JSON
};

std::vector<observation_document> build_observations(const result_input& input);

}  // namespace radbridge::results
