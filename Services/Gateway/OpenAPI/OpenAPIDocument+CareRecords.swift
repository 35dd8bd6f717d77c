import ClientDomain
import HTTP
import Identity
import InternalAPI

/// The care (NDIS) clients API, part 2: goals and their tasks (`CareGoalsAPI`), medications
/// (`CareMedicationsAPI`), appointments and a health carer's clients (`CareAppointmentsAPI`),
/// and the stakeholder list (`CareClientsAPI`).
extension OpenAPIDocument {
    static var careRecordOperations: [OpenAPIOperation] {
        let error = schemaRef("CareError")
        let validation = OpenAPIResponse("Validation failed: `errors` names each bad field", schemaRef("CareValidationError"))
        let forbidden = OpenAPIResponse("The role does not allow this (`Forbidden: your role does not allow this`), or the client is "
                                            + "one of the caller's companies that it does not reach (`Unauthorized to access this client`)",
                                        error)
        let clientNotFound = OpenAPIResponse("No such client in the caller's companies: `Client not found`", error)
        let recordId: JSONValue = uuid
        func operation(_ method: HTTPMethod, _ pattern: String, _ operationId: String, _ summary: String,
                       parameters: [JSONValue] = [], body: JSONValue? = nil, _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: operationId, summary: summary, tag: "care",
                             access: .session,
                             pathParameters: ["clientId": careClientId, "id": recordId, "taskId": recordId, "healthCarerId": uuid],
                             parameters: parameters, requestBody: body,
                             maxBodyBytes: body == nil ? nil : CareRecordInput.maxBodyBytes, errorSchema: error, responses: responses)
        }
        func notFound(_ what: String) -> OpenAPIResponse {
            OpenAPIResponse("No such \(what.lowercased()) in the caller's companies: `\(what) not found`", error)
        }
        let goal = careWritten("`{success, message, data: goal}`", schemaRef("CareGoalEnvelope"))
        let medication = careWritten("`{success, message, data: medication}`", schemaRef("CareMedicationEnvelope"))
        let appointment = careWritten("`{success, message, data: appointment}`", schemaRef("CareAppointmentEnvelope"))
        let reused = careKeyReused
        let key = [idempotencyKey]
        let limitReached = OpenAPIResponse("The client holds the most records of this kind already", error)
        let booked = OpenAPIResponse("`The health carer is already booked at an overlapping time`, or the limit of appointments is "
                                         + "reached", error)
        let date = careRecordField(.date)
        return [
            operation(.GET, CareGoalsAPI.listPath, "listCareGoals", "A client's goals with their tasks and history (care.read)",
                      [200: OpenAPIResponse("`{success, data: [goal]}`", schemaRef("CareGoalArray")), 403: forbidden, 404: clientNotFound]),
            operation(.POST, CareGoalsAPI.createPath, "createCareGoal", "Add a goal to a client (care.write)",
                      parameters: key, body: careRecordBody(.goal, fields: CareGoalsAPI.goalFields, required: ["title"], clientId: true),
                      [201: goal, 400: validation, 403: forbidden, 404: clientNotFound, 409: limitReached, 422: reused]),
            operation(.PUT, CareGoalsAPI.updatePath, "updateCareGoal", "Change a goal; the change is kept in its history (care.write)",
                      parameters: key, body: careRecordBody(.goal, fields: CareGoalsAPI.goalFields, required: [], clientId: false),
                      [200: goal, 400: validation, 403: forbidden, 404: notFound("Goal"), 422: reused]),
            operation(.POST, CareGoalsAPI.tasksPath, "createCareGoalTask", "Add a task to a goal; answers the goal (care.write)",
                      parameters: key, body: careRecordBody(.goalTask, fields: CareGoalsAPI.taskFields, required: ["title"], clientId: false),
                      [201: goal, 400: validation, 403: forbidden, 404: notFound("Goal"), 409: limitReached, 422: reused]),
            operation(.PUT, CareGoalsAPI.taskPath, "updateCareGoalTask", "Change a goal's task; answers the goal (care.write)",
                      parameters: key, body: careRecordBody(.goalTask, fields: CareGoalsAPI.taskFields, required: [], clientId: false),
                      [200: goal, 400: validation, 403: forbidden,
                       404: OpenAPIResponse("`Goal not found` or `Task not found`", error), 422: reused]),
            operation(.GET, CareMedicationsAPI.listPath, "listCareMedications",
                      "A client's medications (stopped ones under `stopped`), allergies and medical history (care.medical.read)",
                      [200: OpenAPIResponse("`{success, data: {medications, stopped, allergies, medicalHistory}}`",
                                            schemaRef("CareMedicationsView")),
                       403: forbidden, 404: clientNotFound]),
            operation(.PUT, CareMedicationsAPI.listPath, "setCareMedicalInfo",
                      "Set a client's allergies and medical history: the profile's medicalInfo (care.medical.write)",
                      parameters: key, body: ["type": "object", "additionalProperties": false, "minProperties": 1, "properties": [
                          "allergies": orNull(careField(.textList(TextLimit(characters: 200)))),
                          "medicalHistory": orNull(careField(.text(TextLimit(characters: 5000, multiLine: true)))),
                      ]],
                      [200: careWritten("`{success, message, data: {medications, stopped, allergies, medicalHistory}}`",
                                        schemaRef("CareMedicationsView")),
                       400: validation, 403: forbidden, 404: clientNotFound, 422: reused]),
            operation(.POST, CareMedicationsAPI.createPath, "createCareMedication", "Add a medication (care.medical.write)",
                      parameters: key, body: careRecordBody(.medication, fields: CareMedicationsAPI.fields,
                                                            required: ["medicineName", "dose", "frequency", "startDate"],
                                                            clientId: true),
                      [201: medication, 400: validation, 403: forbidden, 404: clientNotFound, 409: limitReached, 422: reused]),
            operation(.PUT, CareMedicationsAPI.itemPath, "updateCareMedication", "Change a medication (care.medical.write)",
                      parameters: key, body: careRecordBody(.medication, fields: CareMedicationsAPI.fields, required: [], clientId: false),
                      [200: medication, 400: validation, 403: forbidden, 404: notFound("Medication"), 422: reused]),
            operation(.DELETE, CareMedicationsAPI.itemPath, "stopCareMedication",
                      "Stop a medication: kept, with status stopped and today's date (care.medical.write)",
                      parameters: key,
                      [200: medication, 400: validation, 403: forbidden, 404: notFound("Medication"), 422: reused]),
            operation(.GET, CareAppointmentsAPI.listPath, "listCareAppointments",
                      "A client's appointments in start order, at most \(CareAppointmentsQuery.maxCount) (care.read)",
                      parameters: [
                        parameter("status", in: "query", orEmpty(careRecordField(.choice(CareRecordSchema.appointmentStatuses))),
                                  "Only this status (empty: any)"),
                        parameter("startDate", in: "query", orEmpty(date), "From this date, in the company's time zone"),
                        parameter("endDate", in: "query", orEmpty(date), "To this date, included"),
                      ],
                      [200: OpenAPIResponse("`{success, data: [appointment]}`", schemaRef("CareAppointmentArray")), 400: validation,
                       403: forbidden, 404: clientNotFound]),
            operation(.GET, CareAppointmentsAPI.carerClientsPath, "listCarerClients",
                      "The clients a health carer has appointments with (the carer itself, or care.every_client)",
                      [200: OpenAPIResponse("`{success, data: [{id, firstName, lastName, appointmentCount}]}`",
                                            schemaRef("CareCarerClients")),
                       403: forbidden, 404: OpenAPIResponse("`Health carer not found` in the caller's companies", error)]),
            operation(.POST, CareAppointmentsAPI.createPath, "createCareAppointment",
                      "Book a health carer for a client, in the company's time zone (care.write)",
                      parameters: key, body: appointmentBody(creating: true),
                      [201: appointment, 400: validation, 403: forbidden, 404: clientNotFound, 409: booked, 422: reused]),
            operation(.PUT, CareAppointmentsAPI.updatePath, "updateCareAppointment", "Reschedule an appointment or set its status (care.write)",
                      parameters: key, body: appointmentBody(creating: false),
                      [200: appointment, 400: validation, 403: forbidden, 404: notFound("Appointment"), 409: booked, 422: reused]),
            operation(.GET, CareClientsAPI.stakeholderPath, "listStakeholderClients",
                      "The clients the caller coordinates or plan-manages (care.read), with the list's parameters",
                      parameters: [
                        parameter("page", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareClientsAPI.maxPage))],
                                  "Page, from 1"),
                        parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareClientsAPI.maxLimit))],
                                  "Clients per page (default 10)"),
                        parameter("search", in: "query", text(ClientFilters.textLimit), "Anywhere in the name, email or NDIS number"),
                        parameter("status", in: "query", orEmpty(statusSchema(nullable: false)), "Only this status (empty: any)"),
                        parameter("ndisNumber", in: "query", text(ClientFilters.textLimit), "Exactly this NDIS number"),
                        parameter("companyId", in: "query", orEmpty(uuid), "Only this company (one of the caller's)"),
                      ],
                      [200: OpenAPIResponse("`{success, data: {clients, pagination}}`", schemaRef("CareClientPage")), 400: validation,
                       403: forbidden]),
        ]
    }

    /// A care record field's schema: `CareRecordSchema`'s rule for it.
    static func careRecordField(_ rule: CareRecordSchema.Rule) -> JSONValue {
        switch rule {
        case .text(let limit): text(limit, notBlank: true)
        case .date: careField(.date)
        case .choice(let names): ["enum": .array(names.map { .string($0) })]
        case .userId: uuid
        case .bool: ["type": "boolean"]
        case .instant: ["type": "string", "format": "date-time"]
        }
    }

    /// A create or change body of `kind` taking `fields` (`required` ones required and not
    /// null; others nullable when optional in the record), with `clientId` on a create.
    static func careRecordBody(_ kind: CareRecordKind, fields: [String], required: [String], clientId: Bool) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in CareRecordSchema.fields(kind) where fields.contains(field.name) {
            let schema = careRecordField(field.rule)
            properties[field.name] = field.required || required.contains(field.name) ? schema : orNull(schema)
        }
        var names = required
        if clientId {
            properties["clientId"] = careClientId
            names.insert("clientId", at: 0)
        }
        var body: [String: JSONValue] = ["type": "object", "additionalProperties": false, "properties": .object(properties)]
        if !names.isEmpty { body["required"] = .array(names.map { .string($0) }) }
        return .object(body)
    }

    static func appointmentBody(creating: Bool) -> JSONValue {
        let time: JSONValue = ["type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][05]$",
                               "description": "HH:MM on a five-minute mark, in the company's time zone"]
        var properties: [String: JSONValue] = [
            "healthCarerId": uuid, "date": careField(.date), "startTime": time,
            "endTime": ["type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][05]$",
                        "description": .string("HH:MM on a five-minute mark, in the company's time zone; before startTime it is "
                                               + "on the next day (an overnight shift); not equal to startTime; at most 12 hours "
                                               + "after it")],
            "serviceType": careRecordField(.text(TextLimit(characters: 100))),
            "status": careRecordField(.choice(CareRecordSchema.appointmentStatuses)),
        ]
        var body: [String: JSONValue] = ["type": "object", "additionalProperties": false]
        if creating {
            properties["clientId"] = careClientId
            body["required"] = ["clientId", "healthCarerId", "date", "startTime", "endTime", "serviceType"]
        }
        body["properties"] = .object(properties)
        return .object(body)
    }

    static var careRecordSchemas: [String: JSONValue] {
        let nullableText: JSONValue = ["type": ["string", "null"]]
        let goal: JSONValue = [
            "type": "object", "required": ["id", "title", "description", "status", "targetDate", "tasks", "history"],
            "properties": ["id": uuid, "title": ["type": "string"], "description": nullableText,
                           "status": careRecordField(.choice(CareRecordSchema.goalStatuses)), "targetDate": nullableText,
                           "createdAt": nullableText, "updatedAt": nullableText,
                           "tasks": ["type": "array", "items": ["type": "object", "required": ["id", "title", "done"],
                                                                "properties": ["id": uuid, "title": ["type": "string"],
                                                                               "done": ["type": "boolean"]]]],
                           "history": ["type": "array", "items": ["type": "object"]]],
        ]
        let medication: JSONValue = [
            "type": "object", "required": ["id", "medicineName", "dose", "frequency", "startDate", "reviewDate", "status", "stopDate"],
            "properties": ["id": uuid, "medicineName": ["type": "string"], "dose": ["type": "string"], "frequency": ["type": "string"],
                           "startDate": ["type": "string"], "reviewDate": nullableText,
                           "status": careRecordField(.choice(CareRecordSchema.medicationStatuses)), "stopDate": nullableText],
        ]
        let appointment: JSONValue = [
            "type": "object", "required": ["id", "date", "startTime", "endTime", "healthCarer", "status", "serviceType"],
            "properties": ["id": uuid, "date": ["type": "string"], "startTime": ["type": "string"], "endTime": ["type": "string"],
                           "healthCarer": ["type": "object", "required": ["id", "name"], "properties": ["id": uuid, "name": nullableText]],
                           "status": careRecordField(.choice(CareRecordSchema.appointmentStatuses)), "serviceType": ["type": "string"]],
        ]
        func envelope(_ data: JSONValue) -> JSONValue {
            ["type": "object", "required": ["success", "data"],
             "properties": ["success": ["const": true], "message": ["type": "string"], "data": data]]
        }
        return [
            "CareGoalArray": envelope(["type": "array", "items": goal]),
            // A task's answer is its goal as the read model shows it: null when the write is not
            // visible there within the wait (`X-Consistency: pending`).
            "CareGoalEnvelope": envelope(["anyOf": [goal, ["type": "null"]]]),
            "CareMedicationEnvelope": envelope(medication),
            "CareMedicationsView": envelope([
                "type": "object", "required": ["medications", "stopped", "allergies", "medicalHistory"],
                "properties": ["medications": ["type": "array", "items": medication], "stopped": ["type": "array", "items": medication],
                               "allergies": ["type": "array", "items": ["type": "string"]], "medicalHistory": nullableText],
            ]),
            "CareAppointmentArray": envelope(["type": "array", "items": appointment]),
            "CareAppointmentEnvelope": envelope(appointment),
            "CareCarerClients": envelope(["type": "array", "items": [
                "type": "object", "required": ["id", "firstName", "lastName", "appointmentCount"],
                "properties": ["id": ["type": "string"], "firstName": ["type": "string"], "lastName": ["type": "string"],
                               "appointmentCount": ["type": "integer"]],
            ]]),
        ]
    }
}
