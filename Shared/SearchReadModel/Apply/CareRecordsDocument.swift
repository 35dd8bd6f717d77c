import ClientDomain
import Foundation
import JSON

/// The search read model's document of a client's goals and medications (the `care_records`
/// column): `{"goals": [...], "medications": [...]}`, in the order they were added.
///
/// A goal is its record's fields and `id`, with `tasks` (each `{id, title, done}`), `history`
/// (one entry per event of the goal or its tasks: `{at, by, change, fields}` with `change`
/// one of added, changed, task_added, task_changed and `taskId` for a task's; `by` the
/// actor's `kind:id`) and `createdAt`/`updatedAt`. A medication is its record's fields and
/// `id` (a stopped one stays, with `status: stopped` and its `stopDate`). Appointments are not
/// here: they have their own table.
enum CareRecordsDocument {
    /// `document` after `event` (written at `envelope`'s time by its actor).
    static func apply(_ event: ClientCareRecordChanged, envelope: EventEnvelope, to document: inout JSONValue?) {
        var object: [String: JSONValue] = [:]
        if case .object(let existing)? = document { object = existing }
        let at = JSONValue.string(Timestamp.format(envelope.occurredAt))
        let entry: (String, UUID?) -> JSONValue = { change, taskId in
            var history: [String: JSONValue] = ["at": at, "by": .string(envelope.actor.kind.rawValue + ":" + envelope.actor.id),
                                                "change": .string(change), "fields": .array(event.fields.map(JSONValue.string))]
            if let taskId { history["taskId"] = .string(taskId.lowercasedString) }
            return .object(history)
        }
        switch event.kind {
        case .goal:
            var goals = array(object["goals"])
            let position = goals.firstIndex { $0["id"] == .string(event.record.id.lowercasedString) }
            var goal: [String: JSONValue] = ["tasks": .array([]), "history": .array([]), "createdAt": at]
            if let position, case .object(let existing) = goals[position] {
                goal = existing.filter { ["tasks", "history", "createdAt"].contains($0.key) }
            }
            if case .object(let fields) = event.record.json { goal.merge(fields) { _, new in new } }
            goal["updatedAt"] = at
            goal["history"] = .array(array(goal["history"]) + [entry(event.change.rawValue, nil)])
            if let position { goals[position] = .object(goal) } else { goals.append(.object(goal)) }
            object["goals"] = .array(goals)
        case .goalTask:
            var goals = array(object["goals"])
            guard let goalId = event.goalId,
                  let position = goals.firstIndex(where: { $0["id"] == .string(goalId.lowercasedString) }),
                  case .object(var goal) = goals[position] else { return }
            var tasks = array(goal["tasks"])
            let task = event.record.json
            if let index = tasks.firstIndex(where: { $0["id"] == task["id"] }) { tasks[index] = task } else { tasks.append(task) }
            goal["tasks"] = .array(tasks)
            goal["updatedAt"] = at
            goal["history"] = .array(array(goal["history"]) + [entry("task_" + event.change.rawValue, event.record.id)])
            goals[position] = .object(goal)
            object["goals"] = .array(goals)
        case .medication:
            var medications = array(object["medications"])
            let medication = event.record.json
            if let index = medications.firstIndex(where: { $0["id"] == medication["id"] }) {
                medications[index] = medication
            } else {
                medications.append(medication)
            }
            object["medications"] = .array(medications)
        case .appointment:
            return
        }
        document = .object(object)
    }

    static func array(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let items)? = value { return items }
        return []
    }
}
