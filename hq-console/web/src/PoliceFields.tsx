// The police fields of the composer that repeat: persons and vehicles, as editable rows.
import { NEW_PERSON, NEW_VEHICLE, type Person, type Vehicle } from './draft';
import { Options } from './ui';
import { GENDERS, PERSON_ROLES, VEHICLE_STATUSES } from './util';

/** Editable tables of persons and vehicles, with buttons to add rows. */
export function PoliceFields({
  persons,
  vehicles,
  onPersons,
  onVehicles,
}: {
  persons: Person[];
  vehicles: Vehicle[];
  onPersons: (p: Person[]) => void;
  onVehicles: (v: Vehicle[]) => void;
}) {
  const person = (i: number, k: keyof Person, v: string) =>
    onPersons(persons.map((p, j) => (j === i ? { ...p, [k]: v } : p)));
  const vehicle = (i: number, k: keyof Vehicle, v: string) =>
    onVehicles(vehicles.map((p, j) => (j === i ? { ...p, [k]: v } : p)));
  return (
    <>
      {persons.length > 0 && (
        <table className="grid compact edit">
          <thead>
            <tr>
              <th>Person</th>
              <th>Aliases (comma-separated)</th>
              <th>Father's name</th>
              <th>Gender</th>
              <th>Age</th>
              <th>Role</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {persons.map((p, i) => (
              <tr key={i}>
                <td>
                  <input
                    value={p.name}
                    dir="auto"
                    aria-label="Name"
                    onChange={(e) => person(i, 'name', e.target.value)}
                  />
                </td>
                <td>
                  <input
                    value={p.aliases}
                    dir="auto"
                    aria-label="Aliases"
                    onChange={(e) => person(i, 'aliases', e.target.value)}
                  />
                </td>
                <td>
                  <input
                    value={p.fatherName}
                    dir="auto"
                    aria-label="Father's name"
                    onChange={(e) => person(i, 'fatherName', e.target.value)}
                  />
                </td>
                <td>
                  <select
                    value={p.gender}
                    aria-label="Gender"
                    onChange={(e) => person(i, 'gender', e.target.value)}
                  >
                    <Options values={GENDERS} />
                  </select>
                </td>
                <td>
                  <input
                    className="tiny"
                    inputMode="numeric"
                    value={p.age}
                    aria-label="Age"
                    onChange={(e) => person(i, 'age', e.target.value)}
                  />
                </td>
                <td>
                  <select
                    value={p.role}
                    aria-label="Role"
                    onChange={(e) => person(i, 'role', e.target.value)}
                  >
                    <Options values={PERSON_ROLES} />
                  </select>
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => onPersons(persons.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" onClick={() => onPersons([...persons, NEW_PERSON])}>
        Add person
      </button>
      {vehicles.length > 0 && (
        <table className="grid compact edit">
          <thead>
            <tr>
              <th>Vehicle registration</th>
              <th>Make</th>
              <th>Model</th>
              <th>Colour</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {vehicles.map((v, i) => (
              <tr key={i}>
                {(['registration', 'make', 'model', 'colour'] as const).map((k) => (
                  <td key={k}>
                    <input
                      value={v[k]}
                      aria-label={k}
                      onChange={(e) => vehicle(i, k, e.target.value)}
                    />
                  </td>
                ))}
                <td>
                  <select
                    value={v.status}
                    aria-label="Status"
                    onChange={(e) => vehicle(i, 'status', e.target.value)}
                  >
                    <Options values={VEHICLE_STATUSES} />
                  </select>
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => onVehicles(vehicles.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}{' '}
      <button type="button" onClick={() => onVehicles([...vehicles, NEW_VEHICLE])}>
        Add vehicle
      </button>
    </>
  );
}
