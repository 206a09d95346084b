/* The UI library the console is written with: Preact + htm in one ES module, as the htm package ships it. */
export { html, render, useState, useEffect, useRef, useMemo, useCallback } from './vendor/htm-preact.js';
