// The DICOM SR of a job's AI findings: what radbridge stores in the PACS
// (STOW-RS) next to the images the models read.
//
// build_sr returns one DICOM Part 10 file (Explicit VR Little Endian): an
// Enhanced SR instance whose content follows TID 1500 "Measurement Report",
// written by hand with DCMTK's dcmsr tree API (DCMTK 3.6.7's cmr template
// classes cannot attach TID 4019 items to a measurement). The tree:
//
//   CONTAINER (126000, DCM, "Imaging Measurement Report"), template 1500 DCMR
//   > HAS CONCEPT MOD  Language (121049) = (eng, RFC5646, "English")
//   > HAS OBS CONTEXT  Observer Type (121005) = Device; Device Observer UID
//                      (121012), Name, Manufacturer, Model Name: radbridge
//   > HAS CONCEPT MOD  Procedure reported (121058): CT (25045-6, LN), MR
//                      (25056-3, LN), else (363679005, SCT) by the series' modality
//   > CONTAINS  Image Library (111028) > Image Library Group (126200)
//               > one IMAGE per instance of the analysed series
//   > CONTAINS  Imaging Measurements (126010)
//     > Measurement Group (125007), one per finding, models in the order of
//       `results`, findings in each model's order:
//       > HAS OBS CONTEXT  Tracking Identifier (112039) = the finding label,
//                          Tracking Unique Identifier (112040) =
//                          derived_uid(job_key, "sr-tracking/" + label)
//       probability finding:
//       > CONTAINS  Finding (121071) = the mapping's observation concept
//       > CONTAINS  NUM: the mapping's probability concept, value with unit
//                  ("1", UCUM, "no units") — when the model gives a
//                  probability and the mapping codes it
//       > CONTAINS  CODE: the observation concept = the mapping's present or
//                  absent concept (a TID 1501 qualitative evaluation)
//       value finding:
//       > CONTAINS  NUM: the observation concept, value with the mapping's
//                  UCUM unit (meaning: the unit itself)
//       Every NUM and every qualitative-evaluation CODE has two HAS CONCEPT
//       MOD TEXT children (TID 4019, as TID 300 includes it): Algorithm Name
//       (111001, DCM) = model id, Algorithm Version (111003, DCM) = version.
//
// Coding scheme designators: the mapping's hl7_system (SCT, LN, DCM, UCUM,
// RADLEX, RADELEMENT are spelled the same in HL7 v2 and DICOM), except that
// a well-known FHIR system URI decides (snomed.info/sct → SCT, loinc.org →
// LN, DICOM's DCM URI → DCM, radelement.org → RADELEMENT, radlex.org →
// RADLEX), so a mapping that spells RadElement "RDE" still writes the DICOM
// designator. Numbers are written as DS (at most 16 characters, shortest
// form that reads back as the same double where it fits) and exactly as
// FloatingPointValue (FD).
//
// Header modules: patient and study attributes are copied from
// `input.series` (the analysed series' DICOM headers), so the SR files with
// that study; Modality SR, SeriesInstanceUID derived_uid(job_key,
// "sr-series"), SOPInstanceUID derived_uid(job_key, "sr-instance"),
// SeriesNumber 999, InstanceNumber 1, ContentDate/Time, SeriesDate/Time and
// InstanceCreationDate/Time from `issued` in UTC (TimezoneOffsetFromUTC
// +0000), Manufacturer "radbridge", SoftwareVersions engine_version,
// PreliminaryFlag PRELIMINARY, VerificationFlag UNVERIFIED (no person has
// checked AI output), CompletionFlag COMPLETE when every model of the route
// has a result in `results`, else PARTIAL, CurrentRequestedProcedure-
// EvidenceSequence listing every referenced instance. SpecificCharacterSet
// ISO_IR 192 when a copied value is not ASCII. No Referenced Request: the
// SR does not fulfil the order.
//
// Text in `input` is UTF-8 (fetch::read_series_headers gives it so). The
// order (`input.order`) and acuity are not read: the SR holds what the
// models found about the images, nothing from the HL7 side. The Device
// Observer UID is derived_uid("radbridge", "device-observer"), the same for
// every installation.
//
// The same input gives the same bytes; no clock is read, no UID generated.
// Several threads may build SRs at once.
// Throws build_error (message names fields and labels, never patient data)
// when no route, no series, no results, a series without instances, a
// result for another study or series, a finding the route does not map or
// maps without the codes or unit it needs, a finding with neither present
// nor value, a probability outside 0..1, a value that is not finite, a UID
// that is not a UID, or when DCMTK refuses a value (its reason attached).
#pragma once

#include <string>

#include "results/result_input.hpp"

namespace radbridge::results {

std::string build_sr(const result_input& input);

}  // namespace radbridge::results
