// Renders the OpenAPI document as a readable page. Self-hosted and CSP-friendly: no inline script or
// style, no string evaluation, no HTML built from strings: every text of the document goes through textContent.
"use strict";

(function () {
  const METHODS = ["get", "post", "put", "patch", "delete"];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function refName(ref) {
    return ref.split("/").pop();
  }

  function resolve(spec, obj) {
    let guard = 0;
    while (obj && obj.$ref && guard++ < 10) {
      const path = obj.$ref.replace(/^#\//, "").split("/");
      obj = path.reduce((acc, key) => (acc ? acc[key] : undefined), spec);
    }
    return obj || {};
  }

  function typeText(schema) {
    if (!schema) return "";
    if (schema.$ref) return refName(schema.$ref);
    if (schema.type === "array") return typeText(schema.items || {}) + "[]";
    if (schema.type === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object") {
      return "map of " + typeText(schema.additionalProperties);
    }
    let text = schema.type || "any";
    if (schema.format) text += " (" + schema.format + ")";
    if (schema.enum) text += ": " + schema.enum.filter((v) => v !== null).join(" | ");
    if (schema.nullable) text += ", nullable";
    return text;
  }

  function typeCell(schema) {
    const cell = el("td");
    const target = schema && (schema.$ref || (schema.items && schema.items.$ref));
    if (target) {
      const link = el("a", { href: "#schema-" + refName(target), text: typeText(schema) });
      cell.append(link);
    } else {
      cell.append(el("code", { text: typeText(schema) }));
    }
    return cell;
  }

  function propertiesTable(spec, schema) {
    const resolved = resolve(spec, schema);
    const props = resolved.properties || {};
    const required = new Set(resolved.required || []);
    const table = el("table", {}, el("tr", {}, el("th", { text: "field" }), el("th", { text: "type" }),
      el("th", { text: "description" })));
    for (const [name, prop] of Object.entries(props)) {
      const nameCell = el("td", {}, el("code", { text: name }));
      if (required.has(name)) nameCell.append(" ", el("span", { class: "required", text: "required" }));
      const limits = [];
      if (prop.maxLength !== undefined) limits.push("max length " + prop.maxLength);
      if (prop.minimum !== undefined) limits.push("min " + prop.minimum);
      if (prop.maximum !== undefined) limits.push("max " + prop.maximum);
      const text = [prop.description || "", limits.join(", ")].filter(Boolean).join(" — ");
      table.append(el("tr", {}, nameCell, typeCell(prop), el("td", { text: text })));
    }
    return table;
  }

  function parametersTable(spec, params) {
    const table = el("table", {}, el("tr", {}, el("th", { text: "parameter" }), el("th", { text: "in" }),
      el("th", { text: "type" }), el("th", { text: "description" })));
    for (const raw of params) {
      const p = resolve(spec, raw);
      const nameCell = el("td", {}, el("code", { text: p.name }));
      if (p.required) nameCell.append(" ", el("span", { class: "required", text: "required" }));
      table.append(el("tr", {}, nameCell, el("td", { text: p.in }), typeCell(p.schema || {}),
        el("td", { text: p.description || (p.schema && p.schema.description) || "" })));
    }
    return table;
  }

  function responsesTable(spec, responses) {
    const table = el("table", {}, el("tr", {}, el("th", { text: "status" }), el("th", { text: "media type" }),
      el("th", { text: "body" }), el("th", { text: "description" })));
    for (const [status, raw] of Object.entries(responses || {})) {
      const response = resolve(spec, raw);
      const content = response.content || {};
      const types = Object.keys(content);
      const schema = types.length ? content[types[0]].schema : null;
      table.append(el("tr", {}, el("td", {}, el("code", { text: status })), el("td", { text: types.join(", ") }),
        schema ? typeCell(schema) : el("td", { text: "—" }), el("td", { text: response.description || "" })));
    }
    return table;
  }

  function operation(spec, path, method, op, pathParams) {
    const summary = el("summary", {}, el("span", { class: "method " + method, text: method.toUpperCase() }),
      el("span", { class: "path", text: path }), el("span", { class: "summary", text: op.summary || "" }));
    if (op.security && op.security.length === 0) summary.append(el("span", { class: "badge", text: "no token" }));
    const body = el("div");
    if (op.description) body.append(el("p", { class: "description", text: op.description }));
    const params = (pathParams || []).concat(op.parameters || []);
    if (params.length) body.append(el("h3", { text: "Parameters" }), parametersTable(spec, params));
    if (op.requestBody) {
      const content = op.requestBody.content || {};
      const type = Object.keys(content)[0];
      body.append(el("h3", { text: "Request body (" + type + ")" }), propertiesTable(spec, content[type].schema));
    }
    body.append(el("h3", { text: "Responses" }), responsesTable(spec, op.responses));
    return el("details", { class: "op", id: op.operationId || method + path }, summary, body);
  }

  function render(spec) {
    const root = document.getElementById("docs");
    root.textContent = "";
    document.getElementById("title").textContent = spec.info.title;
    document.getElementById("version").textContent = "Version " + spec.info.version + " — OpenAPI " + spec.openapi;
    root.append(el("p", { class: "description", text: spec.info.description || "" }));

    const byTag = new Map();
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        const tag = (item[method].tags || ["other"])[0];
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push([path, method, item[method], item.parameters]);
      }
    }
    const descriptions = new Map((spec.tags || []).map((t) => [t.name, t.description]));
    const nav = el("ul");
    for (const tag of byTag.keys()) nav.append(el("li", {}, el("a", { href: "#tag-" + tag, text: tag })));
    nav.append(el("li", {}, el("a", { href: "#schemas", text: "schemas" })));
    root.append(el("nav", {}, nav));

    for (const [tag, ops] of byTag) {
      root.append(el("h2", { id: "tag-" + tag, text: tag }));
      if (descriptions.get(tag)) root.append(el("p", { class: "description", text: descriptions.get(tag) }));
      for (const [path, method, op, pathParams] of ops) root.append(operation(spec, path, method, op, pathParams));
    }

    root.append(el("h2", { id: "schemas", text: "Schemas" }));
    for (const [name, schema] of Object.entries((spec.components || {}).schemas || {})) {
      root.append(el("h3", { id: "schema-" + name, text: name }));
      if (schema.description) root.append(el("p", { class: "description", text: schema.description }));
      root.append(propertiesTable(spec, schema));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const root = document.getElementById("docs");
    fetch(root.dataset.spec, { headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(render)
      .catch((error) => {
        const status = document.getElementById("status");
        status.className = "error";
        status.textContent = "The OpenAPI document could not be loaded: " + error.message;
      });
  });
})();
