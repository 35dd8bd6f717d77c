import HTTP

/// The routes every service serves (`HealthRoutes`) and the document itself.
extension OpenAPIDocument {
    static var serviceOperations: [OpenAPIOperation] {
        [
            OpenAPIOperation(method: .GET, pattern: "/healthz", operationId: "health", summary: "Liveness: 200 while the process serves HTTP",
                             tag: "operations", access: .open, responses: [200: OpenAPIResponse("Serving", schemaRef("Health"))]),
            OpenAPIOperation(method: .GET, pattern: "/readyz", operationId: "readiness",
                             summary: "Readiness: PostgreSQL and the internal services answer; 503 while draining",
                             tag: "operations", access: .open,
                             responses: [200: OpenAPIResponse("Ready", schemaRef("Readiness")),
                                         503: OpenAPIResponse("Not ready, with each check's outcome", schemaRef("Readiness"))]),
            OpenAPIOperation(method: .GET, pattern: "/metrics", operationId: "metrics",
                             summary: "Prometheus metrics (for operators: the internal token)", tag: "operations", access: .internalToken,
                             responses: [200: OpenAPIResponse("Prometheus text exposition format 0.0.4", ["type": "string"],
                                                              contentType: "text/plain")]),
            OpenAPIOperation(method: .GET, pattern: path, operationId: "openAPIDocument", summary: "This OpenAPI document",
                             tag: "operations", access: .open,
                             responses: [200: OpenAPIResponse("The OpenAPI 3.1 document", ["type": "object"])]),
        ]
    }

    static var serviceSchemas: [String: JSONValue] {
        [
            "Health": [
                "type": "object",
                "required": ["status", "service"],
                "properties": ["status": ["const": "ok"], "service": ["type": "string"]],
            ],
            "Readiness": [
                "type": "object",
                "required": ["status", "service"],
                "properties": [
                    "status": ["enum": ["ready", "not_ready"]],
                    "service": ["type": "string"],
                    "checks": ["type": "object", "additionalProperties": ["type": "string"],
                               "description": .string("Each check's outcome by name (`postgres`, `command-service`…); only "
                                                      + "to a caller with the internal token (`X-Internal-Token`)")],
                ],
            ],
        ]
    }
}
