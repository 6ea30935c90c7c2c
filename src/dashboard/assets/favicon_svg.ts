/** `/assets/favicon.svg`: the page's icon, three stacked jobs (no external request for it). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#1f5fd1"/>
<rect x="7" y="7" width="18" height="4" rx="2" fill="#fff"/>
<rect x="7" y="14" width="13" height="4" rx="2" fill="#fff" opacity=".85"/>
<rect x="7" y="21" width="8" height="4" rx="2" fill="#3fb950"/>
</svg>
`;
