#include "hl7_corpus.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <string_view>
#include <vector>

#include "hl7/builder.hpp"
#include "hl7/escape.hpp"

namespace radbridge::bench {

namespace {

using sv = std::string_view;

struct coded {
  sv code;
  sv text;
  sv system;
};

struct procedure {
  sv code;
  sv text;
  sv system;
  sv modality;  // OBR-24
};

constexpr std::array<sv, 24> syllables = {"KAR", "NO",  "VEL", "MI",  "TRA", "SON", "BER", "LIN",
                                          "DA",  "RO",  "QUIN", "TES", "MOR", "GAN", "FEL", "IX",
                                          "ZA",  "HAR", "PER", "LO",  "WEN", "STO", "CAL", "DREN"};
constexpr std::array<sv, 24> given_names = {
    "ALPHA", "BRAVO",  "CHARLIE", "DELTA", "ECHO",   "FOXTROT", "GOLF",   "HOTEL",
    "INDIA", "JULIET", "KILO",    "LIMA",  "MIKE",   "NOVEMBER", "OSCAR", "PAPA",
    "QUEBEC", "ROMEO", "SIERRA",  "TANGO", "UNIFORM", "VICTOR", "WHISKEY", "YANKEE"};
// UTF-8 family names for the messages that declare MSH-18 = UNICODE UTF-8.
constexpr std::array<sv, 6> utf8_family = {"MÜLLERTEST", "ØSTERGÅRD", "LEFÈVRE", "NUÑEZTEST", "ÇELIKTEST",
                                           "DVOŘÁKTEST"};
constexpr std::array<sv, 6> facilities = {"GENHOSP", "STMARYS", "NORTHCLINIC", "LAKESIDE_MC", "RIVERVIEW",
                                          "WESTGATE"};
constexpr std::array<sv, 5> order_senders = {"EPIC", "CERNER", "MEDITECH", "ALLSCRIPTS", "ORDERGW"};
constexpr std::array<sv, 4> result_senders = {"RADAI", "PACSGW", "RIS", "VIEWER"};
constexpr std::array<sv, 3> versions = {"2.3.1", "2.4", "2.5.1"};
constexpr std::array<sv, 8> streets = {"FICTION AVE", "SAMPLE ST",   "TEST PLAZA", "PLACEHOLDER RD",
                                       "EXAMPLE BLVD", "MOCK LANE", "DEMO CT",    "SYNTHETIC WAY"};
constexpr std::array<sv, 6> cities = {"SAMPLETOWN", "TESTVILLE", "MOCKBURG", "EXAMPLE CITY", "DEMOPORT",
                                      "FAKEFIELD"};
constexpr std::array<sv, 6> states = {"NY", "NJ", "PA", "CT", "MA", "VT"};
constexpr std::array<coded, 5> races = {{{"2106-3", "White", "HL70005"},
                                         {"2054-5", "Black or African American", "HL70005"},
                                         {"2028-9", "Asian", "HL70005"},
                                         {"1002-5", "American Indian or Alaska Native", "HL70005"},
                                         {"2131-1", "Other Race", "HL70005"}}};
constexpr std::array<coded, 4> marital = {{{"M", "Married", "HL70002"},
                                           {"S", "Single", "HL70002"},
                                           {"W", "Widowed", "HL70002"},
                                           {"D", "Divorced", "HL70002"}}};
constexpr std::array<coded, 3> languages = {
    {{"eng", "English", "ISO6392"}, {"spa", "Spanish", "ISO6392"}, {"fra", "French", "ISO6392"}}};
constexpr std::array<procedure, 14> procedures = {{
    {"CTHEADWO", "CT HEAD WITHOUT CONTRAST", "L", "CT"},
    {"30799-1", "CT Head WO contrast", "LN", "CT"},
    {"CTAHN", "CTA HEAD AND NECK WITH CONTRAST", "L", "CT"},
    {"CTCAPW", "CT CHEST ABDOMEN PELVIS WITH CONTRAST", "L", "CT"},
    {"24627-2", "CT Chest", "LN", "CT"},
    {"MRBRWWO", "MR BRAIN WITH AND WITHOUT CONTRAST", "L", "MR"},
    {"24590-2", "MR Brain", "LN", "MR"},
    {"MRLSPWO", "MR LUMBAR SPINE WITHOUT CONTRAST", "L", "MR"},
    {"XRCH2V", "XR CHEST 2 VIEWS PA AND LATERAL", "L", "CR"},
    {"36643-5", "XR Chest 2 Views", "LN", "CR"},
    {"USABDCMP", "US ABDOMEN COMPLETE", "L", "US"},
    {"24558-9", "US Abdomen", "LN", "US"},
    {"NMBONEWB", "NM BONE SCAN WHOLE BODY", "L", "NM"},
    {"MAMSCRB", "MAMMOGRAPHY SCREENING BILATERAL", "L", "MG"},
}};
constexpr std::array<coded, 8> diagnoses = {{
    {"I63.9", "Cerebral infarction, unspecified", "I10"},
    {"I63.512", "Cerebral infarction due to unsp occlusion or stenosis of left MCA", "I10"},
    {"S06.0X0A", "Concussion without loss of consciousness, initial encounter", "I10"},
    {"R51.9", "Headache, unspecified", "I10"},
    {"J18.9", "Pneumonia, unspecified organism", "I10"},
    {"M54.50", "Low back pain, unspecified", "I10"},
    {"I10", "Essential (primary) hypertension", "I10"},
    {"C34.90", "Malignant neoplasm of unsp part of unsp bronchus or lung", "I10"},
}};
constexpr std::array<coded, 6> allergens = {{
    {"70618", "Penicillin", "RXNORM"},
    {"256349002", "Peanut", "SCT"},
    {"C0021641", "Iodinated contrast media", "UMLS"},
    {"2670", "Codeine", "RXNORM"},
    {"111088007", "Latex", "SCT"},
    {"1191", "Aspirin", "RXNORM"},
}};
constexpr std::array<sv, 6> reactions = {"Rash",    "Anaphylaxis",          "Hives & itching",
                                         "Nausea",  "Shortness of breath", "Swelling | face"};
// Clinical sentences; some carry delimiters so the builder writes \F\ \S\ \T\ \R\ \E\.
constexpr std::array<sv, 16> clinical = {
    "Code stroke. Last known well 13:40. Acute left-sided weakness and aphasia.",
    "BP 150^95; headache | dizziness; hx A&P repair.",
    "Fall from standing height, on anticoagulation, GCS 15.",
    "Persistent cough and fever for 5 days, r/o pneumonia.",
    "Known MS, 6-month follow-up, compare with prior study.",
    "Prior outside CD path: D:\\DICOM\\OUTSIDE\\STUDY1",
    "Low back pain radiating to left leg ~ 3 weeks, no red flags.",
    "Staging, biopsy-proven adenocarcinoma RUL.",
    "Patient weight 82 kg. No known contrast allergy.",
    "Creatinine 1.1 mg/dL (eGFR > 60) on 2024-03-11.",
    "Claustrophobic - consider mild sedation & wide-bore magnet.",
    "Pregnancy test negative; LMP 2 weeks ago.",
    "Compare with CT 2023-11-02 | outside hospital.",
    "Screening, family history of breast cancer (mother ~ 45y).",
    "Sudden onset worst headache of life, r/o SAH.",
    "Right upper quadrant pain, elevated LFTs; r/o cholecystitis.",
};
constexpr std::array<sv, 12> report_lines = {
    "No acute intracranial hemorrhage, mass effect or midline shift.",
    "Gray-white matter differentiation is preserved.",
    "The ventricles and sulci are normal in size for age.",
    "Mild periventricular white matter hypoattenuation, likely chronic small vessel disease.",
    "The visualized paranasal sinuses and mastoid air cells are clear.",
    "No focal consolidation, pleural effusion or pneumothorax.",
    "Heart size is normal. Mediastinal contours are unremarkable.",
    "Occlusion of the left M1 segment with diminished distal opacification.",
    "Multiple T2/FLAIR hyperintense lesions, unchanged from prior.",
    "No enhancing lesion to suggest active demyelination.",
    "Degenerative disc disease at L4-L5 & L5-S1 with mild foraminal narrowing.",
    "Liver, gallbladder and pancreas are unremarkable; CBD 4 mm.",
};
constexpr std::array<sv, 6> impressions = {
    "IMPRESSION: No acute intracranial abnormality.",
    "IMPRESSION: Acute left MCA territory infarct; LVO of left M1. Findings called to Dr. TESTDOC.",
    "IMPRESSION: Stable multiple sclerosis, no active lesions.",
    "IMPRESSION: No acute cardiopulmonary process.",
    "IMPRESSION: Multilevel degenerative change, no high-grade stenosis.",
    "IMPRESSION: Normal abdominal ultrasound.",
};
constexpr std::array<coded, 6> numeric_obs = {{
    {"RID50134", "Infarct core volume", "RADLEX"},
    {"RID50135", "Penumbra volume", "RADLEX"},
    {"RID10311", "Lesion count", "RADLEX"},
    {"RID13432", "Largest lesion diameter", "RADLEX"},
    {"ASPECTS", "ASPECTS score", "L"},
    {"AI-CONF", "AI model confidence", "L"},
}};
constexpr std::array<sv, 6> numeric_units = {"mL^milliliter^UCUM", "mL^milliliter^UCUM", "{count}^count^UCUM",
                                             "mm^millimeter^UCUM",  "{score}^score^UCUM", "%^percent^UCUM"};
constexpr std::array<coded, 6> coded_findings = {{
    {"RID5045", "Large vessel occlusion", "RADLEX"},
    {"RID4700", "Hemorrhage", "RADLEX"},
    {"RID39055", "Infarct", "RADLEX"},
    {"RID5231", "Normal", "RADLEX"},
    {"RID3874", "Pulmonary nodule", "RADLEX"},
    {"260385009", "Negative", "SCT"},
}};
constexpr std::array<sv, 6> string_results = {
    "LVO detected: left M1, confidence high",
    "No hemorrhage detected",
    "Suspected ICH: intraparenchymal, right | basal ganglia",
    "Algorithm version 4.2.1 & model 2024-02",
    "Comparison: prior ~ 2023-11-02",
    "Study quality adequate for interpretation",
};
constexpr std::array<sv, 6> notes = {
    "STROKE ALERT - tPA window, notify neuroradiology on completion",
    "Patient requires interpreter (Spanish).",
    "Premedicate per protocol ~ prednisone 50 mg 13, 7 and 1 h before.",
    "Transport by stretcher; oxygen 2 L/min via nasal cannula.",
    "IV access 20G right antecubital | power injectable.",
    "Call results to ED attending at ext 5150 & page neuro.",
};

class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  std::string next(corpus_stats& stats) {
    const std::uint64_t kind = below(100);
    if (kind < 40) {
      ++stats.orm_o01;
      return orm();
    }
    if (kind < 65) {
      ++stats.adt;
      return adt();
    }
    ++stats.oru_r01;
    return oru();
  }

  bool last_was_utf8() const noexcept { return utf8_; }

 private:
  struct patient {
    std::string family, given, middle;
    std::string mrn, ssn, eid;  // eid empty: only two PID-3 repetitions
    std::string dob;
    sv sex;
    std::string street;
    sv city, state;
    std::string zip, phone, account, visit;
    std::size_t race = 0, marital = 0, language = 0;
  };
  struct provider {
    std::string id, family, given;
    sv degree;
  };

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool chance(std::uint64_t percent) { return below(100) < percent; }
  template <class T, std::size_t N>
  T pick(const std::array<T, N>& a) {
    return a[static_cast<std::size_t>(below(N))];
  }
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(below(n)); }

  std::string digits(std::size_t n) {
    std::string s(n, '0');
    for (char& c : s) c = static_cast<char>('0' + below(10));
    return s;
  }
  std::string number(std::uint64_t lo, std::uint64_t hi) { return std::to_string(lo + below(hi - lo + 1)); }
  static std::string two(std::uint64_t v) {
    return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10);
  }
  // YYYYMMDD[HHMMSS] in 2023-2025 (days 1-28, good enough for synthetic data).
  std::string date(std::uint64_t year_lo, std::uint64_t year_hi) {
    return number(year_lo, year_hi) + two(1 + below(12)) + two(1 + below(28));
  }
  std::string timestamp() { return date(2023, 2025) + two(below(24)) + two(below(60)) + two(below(60)); }
  // A timestamp 1-50 minutes after `t`, the same day (clamped at 23:59).
  std::string later(const std::string& t) {
    const std::uint64_t minutes =
        std::min<std::uint64_t>(std::stoull(t.substr(8, 2)) * 60 + std::stoull(t.substr(10, 2)) + 1 + below(50),
                                23 * 60 + 59);
    std::string s = t;
    s.replace(8, 4, two(minutes / 60) + two(minutes % 60));
    return s;
  }
  std::string family_name() {
    std::string s;
    const std::size_t n = 2 + index(2);
    for (std::size_t i = 0; i < n; ++i) s += pick(syllables);
    return s;
  }
  // Up to 3 distinct entries of `a`: steps of 1-4 from a random start never wrap onto one already taken.
  template <std::size_t N>
  std::vector<sv> distinct(const std::array<sv, N>& a, std::size_t n) {
    static_assert(N > 8);
    std::vector<sv> out;
    for (std::size_t k = 0, i = index(N); k < n && k < 3; ++k, i = (i + 1 + index(4)) % N) out.push_back(a[i]);
    return out;
  }
  std::string sentences(std::size_t lo, std::size_t hi) {
    std::string s;
    for (sv sentence : distinct(clinical, lo + index(hi - lo + 1))) {
      if (!s.empty()) s += ' ';
      s += sentence;
    }
    return s;
  }

  patient make_patient() {
    patient p;
    p.family = utf8_ ? std::string(pick(utf8_family)) : family_name();
    if (!utf8_ && chance(3)) p.family = "O&" + p.family;  // O'Brien-style: the builder escapes the &
    p.given = std::string(pick(given_names));
    p.middle = chance(60) ? std::string(1, static_cast<char>('A' + below(26))) : std::string();
    p.mrn = "MRN" + digits(7);
    p.ssn = "999-" + digits(2) + "-" + digits(4);
    if (chance(50)) p.eid = "EID" + digits(6);
    p.dob = date(1930, 2020);
    p.sex = pick(std::array<sv, 3>{"M", "F", "U"});
    p.street = number(1, 9999) + " " + std::string(pick(streets));
    if (chance(10)) p.street += " | UNIT " + number(1, 40);  // the builder escapes the | (\F\ in the output)
    p.city = pick(cities);
    p.state = pick(states);
    p.zip = digits(5);
    p.phone = digits(7);
    p.account = "ACCT" + digits(7);
    p.visit = "VN" + digits(7);
    p.race = index(races.size());
    p.marital = index(marital.size());
    p.language = index(languages.size());
    return p;
  }
  provider make_provider() {
    return {digits(10), family_name(), std::string(pick(given_names)), pick(std::array<sv, 3>{"MD", "DO", "NP"})};
  }

  void set_coded(hl7::segment_builder& s, std::size_t field, const coded& c) {
    s.set_components(field, {c.code, c.text, c.system});
  }
  void set_provider(hl7::segment_builder& s, std::size_t field, const provider& p) {
    s.set(field, 1, 1, 1, p.id).set(field, 1, 2, 1, p.family).set(field, 1, 3, 1, p.given);
    s.set(field, 1, 7, 1, p.degree).set(field, 1, 10, 1, "NPI");
  }
  void set_phone(hl7::segment_builder& s, std::size_t field, sv use, const std::string& number_text) {
    s.set(field, 1, 2, 1, use).set(field, 1, 3, 1, "PH").set(field, 1, 5, 1, "1");
    s.set(field, 1, 6, 1, "555").set(field, 1, 7, 1, number_text);
  }
  void set_address(hl7::segment_builder& s, std::size_t field, const patient& p) {
    s.set(field, 1, 1, 1, p.street).set(field, 1, 3, 1, p.city).set(field, 1, 4, 1, p.state);
    s.set(field, 1, 5, 1, p.zip).set(field, 1, 6, 1, "USA").set(field, 1, 7, 1, "H");
  }

  void msh(hl7::message_builder& b, sv sender, sv type, sv trigger, sv structure) {
    auto& s = b.add("MSH");
    facility_ = pick(facilities);
    now_ = timestamp();
    s.set(3, sender).set(4, facility_).set(5, "RADBRIDGE").set(6, std::string(facility_) + "_RAD");
    s.set(7, now_);
    s.set_components(9, {type, trigger, structure});
    s.set(10, std::string(sender.substr(0, 3)) + now_ + digits(3) + std::to_string(++sequence_));
    s.set(11, chance(95) ? "P" : "T").set(12, pick(versions));
    s.set(15, "AL").set(16, "NE").set(17, "USA");
    if (utf8_) s.set(18, "UNICODE UTF-8");
  }

  void pid(hl7::message_builder& b, const patient& p) {
    auto& s = b.add("PID");
    s.set(1, "1");
    s.set(3, 1, 1, 1, p.mrn).set(3, 1, 4, 1, facility_).set(3, 1, 5, 1, "MR");
    s.set(3, 2, 1, 1, p.ssn).set(3, 2, 4, 1, "SSA").set(3, 2, 5, 1, "SS");
    if (!p.eid.empty()) s.set(3, 3, 1, 1, p.eid).set(3, 3, 4, 1, facility_).set(3, 3, 5, 1, "PI");
    s.set(5, 1, 1, 1, p.family).set(5, 1, 2, 1, p.given);
    if (!p.middle.empty()) s.set(5, 1, 3, 1, p.middle);
    s.set(5, 1, 7, 1, "L");
    s.set(7, p.dob).set(8, p.sex);
    set_coded(s, 10, races[p.race]);
    set_address(s, 11, p);
    set_phone(s, 13, "PRN", p.phone);
    if (chance(50)) set_phone(s, 14, "WPN", digits(7));
    set_coded(s, 15, languages[p.language]);
    set_coded(s, 16, marital[p.marital]);
    s.set(18, 1, 1, 1, p.account).set(18, 1, 4, 1, facility_).set(18, 1, 5, 1, "AN");
    s.set(19, p.ssn);
  }

  void pv1(hl7::message_builder& b, const patient& p, const provider& attending, sv patient_class) {
    auto& s = b.add("PV1");
    s.set(1, "1").set(2, patient_class);
    s.set_components(3, {pick(std::array<sv, 6>{"ED", "STROKE", "ICU", "MED", "SURG", "OPRAD"}),
                         number(100, 499), pick(std::array<sv, 3>{"A", "B", "01"}), facility_});
    s.set(4, pick(std::array<sv, 3>{"E", "R", "U"}));
    set_provider(s, 7, attending);
    if (chance(50)) set_provider(s, 8, make_provider());
    s.set(10, pick(std::array<sv, 5>{"EMR", "NEU", "MED", "ONC", "ORT"}));
    if (chance(40)) set_provider(s, 17, attending);
    s.set(18, patient_class == "I" ? "IP" : "OP");
    s.set(19, 1, 1, 1, p.visit).set(19, 1, 4, 1, facility_).set(19, 1, 5, 1, "VN");
    s.set(20, chance(80) ? "M" : "C");
    s.set(39, facility_).set(44, now_);
  }

  void orc(hl7::message_builder& b, sv control, const std::string& placer, const std::string& filler,
           const provider& ordering, sv status) {
    auto& s = b.add("ORC");
    s.set(1, control).set_components(2, {placer, "EPIC"});
    if (!filler.empty()) s.set_components(3, {filler, "RIS"});
    s.set(5, status);
    s.set(7, 1, 1, 1, "1").set(7, 1, 2, 1, "ONCE").set(7, 1, 4, 1, now_).set(7, 1, 6, 1, priority_);
    s.set(9, now_);
    s.set_components(10, {family_name(), pick(given_names)});
    set_provider(s, 12, ordering);
    s.set_components(13, {"RAD", number(1, 9), "01", facility_});
    set_phone(s, 14, "WPN", digits(7));
  }

  void obr(hl7::message_builder& b, const std::string& placer, const std::string& accession, const provider& ordering,
           bool result) {
    auto& s = b.add("OBR");
    const procedure& proc = pick(procedures);
    s.set(1, "1").set_components(2, {placer, "EPIC"}).set_components(3, {accession, "RIS"});
    s.set_components(4, {proc.code, proc.text, proc.system});  // OBR-4 as code^text^system
    s.set(5, priority_).set(6, now_);
    if (result) s.set(7, later(now_)).set(8, later(now_));
    s.set(13, sentences(1, 3));
    set_provider(s, 16, ordering);
    s.set(18, accession).set(19, std::string(proc.modality) + number(1, 4));
    if (result) s.set(22, later(now_));
    s.set(24, proc.modality);
    if (result) s.set(25, chance(85) ? "F" : "P");
    s.set(27, 1, 1, 1, "1").set(27, 1, 2, 1, "ONCE").set(27, 1, 4, 1, now_).set(27, 1, 6, 1, priority_);
    s.set(30, pick(std::array<sv, 3>{"WALK", "CART", "PORT"}));
    set_coded(s, 31, pick(diagnoses));
    if (result) {
      const provider reader = make_provider();
      s.set(32, 1, 1, 1, reader.id).set(32, 1, 2, 1, reader.family).set(32, 1, 3, 1, reader.given);
    }
  }

  void nte(hl7::message_builder& b, std::size_t n) {
    auto& s = b.add("NTE");
    s.set(1, std::to_string(n)).set(2, "L");
    if (chance(15)) {
      // Two lines joined by a hex-escaped CRLF, as many order systems send them.
      s.set_raw(3, hl7::escape(pick(notes), b.delimiters()) + "\\X0D0A\\" +
                       hl7::escape(pick(clinical), b.delimiters()));
    } else {
      s.set(3, chance(50) ? std::string(pick(notes)) : sentences(1, 2));
    }
  }

  void obx(hl7::message_builder& b, std::size_t n, sv type) {
    auto& s = b.add("OBX");
    s.set(1, std::to_string(n)).set(2, type);
    if (type == "NM") {
      const std::size_t i = index(numeric_obs.size());
      set_coded(s, 3, numeric_obs[i]);
      const std::uint64_t value = below(250), high = 10 + below(240);
      s.set(5, std::to_string(value) + "." + number(0, 9));
      s.set_raw(6, numeric_units[i]);
      s.set(7, "0-" + std::to_string(high));
      s.set(8, value >= high ? "H" : "N");
    } else if (type == "ST") {
      s.set_components(3, {"AI-SUMMARY", "AI triage summary", "L"});
      s.set(5, pick(string_results));
    } else if (type == "CWE") {
      s.set_components(3, {"RID13173", "Finding", "RADLEX"});
      set_coded(s, 5, pick(coded_findings));
    } else {  // FT: the report, lines joined with \.br\ (kept verbatim by the parser)
      s.set_components(3, {"18782-3", "Radiology Study observation (narrative)", "LN"});
      std::string text = "FINDINGS:";
      for (sv line : distinct(report_lines, 1 + index(3))) text += "\\.br\\" + hl7::escape(line, b.delimiters());
      text += "\\.br\\" + hl7::escape(pick(impressions), b.delimiters());
      s.set_raw(5, text);
    }
    s.set(11, "F").set(14, later(now_));
  }

  std::string orm() {
    utf8_ = chance(4);
    hl7::message_builder b;
    msh(b, pick(order_senders), "ORM", "O01", "ORM_O01");
    const patient p = make_patient();
    const provider ordering = make_provider();
    priority_ = pick(std::array<sv, 3>{"S", "R", "A"});
    pid(b, p);
    pv1(b, p, ordering, pick(std::array<sv, 3>{"E", "O", "I"}));
    const std::string placer = "ORD" + digits(7);
    const std::string accession = "ACC" + now_.substr(0, 8) + digits(5);
    orc(b, chance(90) ? "NW" : "XO", placer, "", ordering, "SC");
    obr(b, placer, accession, ordering, false);
    const std::size_t notes_count = 2 + index(3);
    for (std::size_t i = 1; i <= notes_count; ++i) nte(b, i);
    return b.encode();
  }

  std::string adt() {
    utf8_ = chance(4);
    hl7::message_builder b;
    const sv trigger = pick(std::array<sv, 3>{"A01", "A04", "A08"});
    msh(b, pick(order_senders), "ADT", trigger, "ADT_A01");
    const patient p = make_patient();
    auto& evn = b.add("EVN");
    evn.set(1, trigger).set(2, now_);
    evn.set(5, 1, 1, 1, family_name()).set(5, 1, 2, 1, pick(given_names)).set(5, 1, 9, 1, facility_);
    evn.set(6, now_);
    pid(b, p);
    const std::size_t kin = 1 + index(3);
    for (std::size_t i = 1; i <= kin; ++i) {
      auto& s = b.add("NK1");
      s.set(1, std::to_string(i));
      s.set(2, 1, 1, 1, p.family).set(2, 1, 2, 1, pick(given_names)).set(2, 1, 7, 1, "L");
      set_coded(s, 3, pick(std::array<coded, 3>{{{"SPO", "Spouse", "HL70063"},
                                                  {"CHD", "Child", "HL70063"},
                                                  {"SIB", "Sibling", "HL70063"}}}));
      set_address(s, 4, p);
      set_phone(s, 5, "PRN", digits(7));
      set_coded(s, 7, {"EC", "Emergency Contact", "HL70131"});
    }
    pv1(b, p, make_provider(), trigger == "A01" ? "I" : pick(std::array<sv, 2>{"O", "E"}));
    const std::size_t allergies = 1 + index(4);
    for (std::size_t i = 1; i <= allergies; ++i) {
      auto& s = b.add("AL1");
      s.set(1, std::to_string(i)).set(2, pick(std::array<sv, 3>{"DA", "FA", "MA"}));
      set_coded(s, 3, pick(allergens));
      s.set(4, pick(std::array<sv, 3>{"MI", "MO", "SV"})).set(5, pick(reactions)).set(6, date(1990, 2023));
    }
    const std::size_t dx = 1 + index(4);
    for (std::size_t i = 1; i <= dx; ++i) {
      auto& s = b.add("DG1");
      s.set(1, std::to_string(i));
      set_coded(s, 3, pick(diagnoses));
      s.set(5, now_).set(6, pick(std::array<sv, 3>{"A", "W", "F"}));
    }
    return b.encode();
  }

  std::string oru() {
    utf8_ = chance(4);
    hl7::message_builder b;
    msh(b, pick(result_senders), "ORU", "R01", "ORU_R01");
    const patient p = make_patient();
    const provider ordering = make_provider();
    priority_ = pick(std::array<sv, 3>{"S", "R", "A"});
    pid(b, p);
    pv1(b, p, ordering, pick(std::array<sv, 3>{"E", "O", "I"}));
    const std::string placer = "ORD" + digits(7);
    const std::string accession = "ACC" + now_.substr(0, 8) + digits(5);
    orc(b, "RE", placer, accession, ordering, "CM");
    obr(b, placer, accession, ordering, true);
    std::size_t n = 0;
    const std::size_t numeric = 1 + index(2);
    for (std::size_t i = 0; i < numeric; ++i) obx(b, ++n, "NM");
    obx(b, ++n, "ST");
    obx(b, ++n, "CWE");
    obx(b, ++n, "FT");
    return b.encode();
  }

  std::mt19937_64 rng_;
  std::uint64_t sequence_ = 0;
  bool utf8_ = false;
  sv facility_;
  sv priority_ = "R";
  std::string now_;
};

}  // namespace

std::vector<std::string> make_hl7_corpus(std::size_t count, std::uint64_t seed, corpus_stats* stats) {
  generator gen(seed);
  corpus_stats local;
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(gen.next(local));
    local.bytes += out.back().size();
    if (gen.last_was_utf8()) ++local.utf8;
  }
  if (stats != nullptr) *stats = local;
  return out;
}

}  // namespace radbridge::bench
