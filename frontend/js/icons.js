// Category icons as inline SVG (no icon fonts, no emoji fonts needed on the wall PC): one <symbol>
// per icon injected once into the page, used as <svg><use href="#i-NAME"/></svg> by rows, markers
// and the detail panel. 24×24, stroked with currentColor.

const circle = (cx, cy, r) => `M${cx - r} ${cy}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;

export const ICONS = {
  alert: "M12 3 22 20H2Z M12 9v5 M12 17v.5",
  quake: "M2 12h4l2-5 3 10 3-12 3 9 2-2h3",
  wave: "M2 9c2-2 4-2 6 0s4 2 6 0 4-2 6 0 M2 15c2-2 4-2 6 0s4 2 6 0 4-2 6 0 M2 21c2-2 4-2 6 0s4 2 6 0 4-2 6 0",
  rain: "M7 14a4 4 0 1 1 1-7.9A5 5 0 0 1 18 7a3.5 3.5 0 0 1 0 7Z M8 17l-1 3 M12 17l-1 3 M16 17l-1 3",
  wind: "M3 8h11a3 3 0 1 0-3-3 M3 12h16a3 3 0 1 1-3 3 M3 16h7",
  sun: `${circle(12, 12, 4)} M12 2v2 M12 20v2 M2 12h2 M20 12h2 M4.9 4.9l1.4 1.4 M17.7 17.7l1.4 1.4 M4.9 19.1l1.4-1.4 M17.7 6.3l1.4-1.4`,
  snow: "M12 2v20 M3.3 7l17.4 10 M3.3 17l17.4-10 M9 3.5l3 2 3-2 M9 20.5l3-2 3 2",
  fire: "M12 22c4 0 7-3 7-7 0-4-3-6-4-9-1 2-2 3-3 3 0-2-1-4-3-6 0 4-4 6-4 12 0 4 3 7 7 7Z",
  mountain: "M2 20 9 7l4 7 3-4 6 10Z M9 20l2-3 2 3",
  haze: "M3 7h13 M6 12h15 M3 17h11 M18 17h3",
  flask: "M9 3h6 M10 3v6l-6 10a1.5 1.5 0 0 0 1.3 2h13.4a1.5 1.5 0 0 0 1.3-2L14 9V3 M7 15h10",
  cross: "M9 3h6v6h6v6h-6v6H9v-6H3V9h6Z",
  bolt: "M13 2 4 14h7l-1 8 9-12h-7Z",
  building: "M4 21V4h10v17 M14 9h6v12 M2 21h20 M7 8h4 M7 12h4 M7 16h4",
  burst: "M12 2l2 6 6-3-3 6 5 3-6 1 1 6-5-4-5 4 1-6-6-1 5-3-3-6 6 3Z",
  person: `${circle(12, 6, 3)} M5 21v-3a7 7 0 0 1 14 0v3`,
  siren: "M6 18v-6a6 6 0 0 1 12 0v6 M4 21h16 M4 18h16 M12 2v2 M3 7l1.5 1 M21 7l-1.5 1 M10 12a2 2 0 0 1 2-2",
  car: `M3 13l2-6h14l2 6v5H3Z M3 13h18 M6 18v2 M18 18v2 ${circle(7, 15.5, 1)} ${circle(17, 15.5, 1)}`,
  noentry: `${circle(12, 12, 9)} M7 12h10`,
  cone: "M10 3h4l5 16H5Z M7.5 13h9 M8.8 8h6.4 M3 21h18",
  queue: "M4 6h5 M12 6h8 M4 12h9 M16 12h4 M4 18h3 M10 18h10",
  train: `M6 3h12a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Z M4 10h16 M8 20l-2 2 M16 20l2 2 ${circle(8, 13.5, 1)} ${circle(16, 13.5, 1)}`,
  flag: "M5 21V3 M5 4h13l-3 4 3 4H5",
  speaker: "M4 9h4l5-4v14l-5-4H4Z M17 8a5 5 0 0 1 0 8 M20 5a9 9 0 0 1 0 14",
  parking: "M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Z M10 17V7h3a3 3 0 0 1 0 6h-3",
  trash: "M4 6h16 M9 6V3h6v3 M6 6l1 15h10l1-15 M10 10v7 M14 10v7",
  road: "M4 21 9 3 M20 21 15 3 M12 5v2 M12 10v2 M12 15v2 M12 20v1",
  lamp: "M6 21h6 M9 21V5a2 2 0 0 1 2-2h5 M16 3v3 M13 6h6l-1 3h-4Z",
  drop: "M12 3c4 5 6 8 6 11a6 6 0 0 1-12 0c0-3 2-6 6-11Z",
  paw: `M12 13c-3 0-6 3-6 5.5S8 21 12 21s6 0 6-2.5S15 13 12 13Z ${circle(5.5, 10, 1.8)} ${circle(9.5, 5.5, 1.8)} ${circle(14.5, 5.5, 1.8)} ${circle(18.5, 10, 1.8)}`,
  odor: "M7 20c-2-3 2-5 0-8s2-5 0-8 M12 20c-2-3 2-5 0-8s2-5 0-8 M17 20c-2-3 2-5 0-8s2-5 0-8",
  shield: "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6Z M9 12l2 2 4-4",
  bubble: "M4 4h16v12H9l-5 4Z M8 9h8 M8 12h5",
  phone: "M5 3h4l2 5-2.5 1.5a11 11 0 0 0 6 6L16 13l5 2v4a2 2 0 0 1-2 2A17 17 0 0 1 3 5a2 2 0 0 1 2-2Z",
  info: `${circle(12, 12, 9)} M12 11v6 M12 7.5v.5`,
  camera: `M3 8h12v9H3Z M15 11l6-3v9l-6-3 ${circle(7, 12.5, 1.5)}`,
};

// Every category of server/stream/events.py CATEGORIES, as `<kind>.<subtype>` → icon name.
export const CATEGORY_ICONS = {
  "disaster.earthquake": "quake",
  "disaster.tsunami": "wave",
  "disaster.flood": "wave",
  "disaster.heavy_rain": "rain",
  "disaster.typhoon": "wind",
  "disaster.heat": "sun",
  "disaster.cold": "snow",
  "disaster.snow": "snow",
  "disaster.storm": "wind",
  "disaster.fire": "fire",
  "disaster.wildfire": "fire",
  "disaster.landslide": "mountain",
  "disaster.air_quality": "haze",
  "disaster.chemical": "flask",
  "disaster.infectious_disease": "cross",
  "disaster.power_outage": "bolt",
  "disaster.building_collapse": "building",
  "disaster.explosion": "burst",
  "disaster.missing_person": "person",
  "disaster.civil_defense": "siren",
  "disaster.other": "alert",
  "traffic.accident": "car",
  "traffic.closure": "noentry",
  "traffic.roadwork": "cone",
  "traffic.congestion": "queue",
  "traffic.transit_disruption": "train",
  "traffic.event": "flag",
  "traffic.weather": "rain",
  "traffic.hazard": "alert",
  "traffic.other": "car",
  "complaint.noise": "speaker",
  "complaint.illegal_parking": "parking",
  "complaint.waste": "trash",
  "complaint.road_damage": "road",
  "complaint.streetlight": "lamp",
  "complaint.water": "drop",
  "complaint.illegal_dumping": "trash",
  "complaint.animal": "paw",
  "complaint.odor": "odor",
  "complaint.safety": "shield",
  "complaint.other": "bubble",
  "call.other": "phone",
  "system.notice": "info",
  "system.other": "info",
  "camera.cctv": "camera",
  "camera.other": "camera",
};

const KIND_ICONS = { disaster: "alert", traffic: "car", complaint: "bubble", call: "phone", system: "info", camera: "camera" };

/** The icon name for an event's category (falling back to its kind, then a warning sign). */
export function iconFor(category, kind) {
  return CATEGORY_ICONS[category] ?? KIND_ICONS[kind] ?? KIND_ICONS[String(category ?? "").split(".")[0]] ?? "alert";
}

/** The sprite: one hidden <svg> with a <symbol> per icon, as markup to insert once. */
export function spriteMarkup() {
  const symbols = Object.entries(ICONS)
    .map(([name, d]) => `<symbol id="i-${name}" viewBox="0 0 24 24"><path d="${d}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></symbol>`)
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" class="icon-sprite" aria-hidden="true">${symbols}</svg>`;
}

/** Markup for one icon (used inside Leaflet divIcons, which take HTML). */
export function iconMarkup(name, className = "icon") {
  return `<svg class="${className}" aria-hidden="true" focusable="false"><use href="#i-${name}"/></svg>`;
}
