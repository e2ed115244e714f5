// Starts Swagger UI on /api/docs (a file of its own: the page's Content-Security-Policy allows no inline script).
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // no badge fetched from swagger.io: the page works offline
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
