/**
 * A Control-M `run/jobs/status` answer of any size, shaped like the real ones (the fields and order
 * of the rows in BMC's `ctm run status` examples and the DataDog control_m fixtures), generated a
 * slice at a time so neither the server nor the bench ever holds it. Row content varies the way an
 * active environment does: folders, a few types, waiting and failed jobs, cyclic jobs with several
 * runs, held jobs, escaped quotes and non-ASCII text.
 */
export interface AnswerShape {
  rows: number;
  /** The order date of every row, YYMMDD. */
  orderDate: string;
}

/** Every FOLDER_EVERY-th row is a folder (a container): it is not a job. */
const FOLDER_EVERY = 1000;
const STATUSES = ['Ended OK', 'Ended OK', 'Ended OK', 'Ended OK', 'Ended OK', 'Ended Not OK', 'Executing', 'Wait Condition', 'Wait Workload', 'Wait User'];
const TYPES = ['Job', 'Job', 'Job', 'Command', 'Script', 'Job', 'Job', 'Command', 'Job', 'Dummy'];
const APPLICATIONS = ['FIN', 'HR', 'LOGISTICS', 'CRM'];

/** How many job rows (not folders) an answer of `rows` rows has: what the product must count. */
export function jobRows(rows: number): number {
  return rows - Math.ceil(rows / FOLDER_EVERY);
}

/** The answer's opening, rows `from` to `to` (exclusive, joined as the array needs), and its closing. */
export function answerHead(): string {
  return '{"statuses":[';
}

export function answerRows(shape: AnswerShape, from: number, to: number): string {
  let text = '';
  for (let index = from; index < to; index++) text += `${index > 0 ? ',' : ''}${row(shape, index)}`;
  return text;
}

export function answerTail(shape: AnswerShape): string {
  return `],"startIndex":0,"itemsPerPage":${shape.rows},"returned":${shape.rows},"total":${shape.rows}}`;
}

function row(shape: AnswerShape, index: number): string {
  const folderIndex = index - (index % FOLDER_EVERY);
  const folder = `DAILY_${(folderIndex / FOLDER_EVERY).toString().padStart(4, '0')}`;
  const folderId = `ctm01:${folderIndex.toString(16).padStart(6, '0')}`;
  const application = APPLICATIONS[index % APPLICATIONS.length] ?? 'FIN';
  if (index === folderIndex) {
    return `{"jobId":"${folderId}","folderId":"ctm01:","numberOfRuns":1,"name":"${folder}","folder":"${folder}","type":"Folder","status":"Executing","held":false,"deleted":false,"cyclic":false,"startTime":"20${shape.orderDate}053000","endTime":"","estimatedStartTime":[],"estimatedEndTime":[],"orderDate":"${shape.orderDate}","ctm":"ctm01","description":"","host":"","application":"${application}","subApplication":"","outputURI":"Folder has no output","logURI":"https://ctm.example.internal:8443/automation-api/run/job/${folderId}/log"}`;
  }
  const jobId = `ctm01:${index.toString(16).padStart(6, '0')}`;
  const status = STATUSES[index % STATUSES.length] ?? 'Ended OK';
  const waiting = status.startsWith('Wait');
  const cyclic = index % 50 === 7;
  const runs = waiting ? 0 : cyclic ? 2 + (index % 11) : 1;
  const name = index % 7 === 0 ? `Clôture_${index}` : `job_${index}`;
  return `{"jobId":"${jobId}","folderId":"${folderId}","numberOfRuns":${runs},"name":"${name}","folder":"${folder}","type":"${TYPES[index % TYPES.length] ?? 'Job'}","status":"${status}","held":${index % 97 === 3},"deleted":false,"cyclic":${cyclic},"startTime":"${waiting ? '' : '20261124053012'}","endTime":"${waiting ? '' : '20261124053517'}","estimatedStartTime":["20261124053000"],"estimatedEndTime":["20261124053500"],"orderDate":"${shape.orderDate}","ctm":"ctm01","description":"Loads the \\"${application}\\" ledger extracts [step ${index % 40}]","host":"batch-host-0${index % 4}","application":"${application}","subApplication":"${application}-batch","outputURI":"https://ctm.example.internal:8443/automation-api/run/job/${jobId}/output","logURI":"https://ctm.example.internal:8443/automation-api/run/job/${jobId}/log"}`;
}
