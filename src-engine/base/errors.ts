/**
 * Every error and warning code Netwright gives, in one table: what it means (a short title), what
 * the user does next, and where the docs explain it — in the manner of Rust's error index and
 * xyflow's `error001…` table. Messages stay where the error is raised (they name the node, the
 * file, the value); the table holds what is true of every message with that code.
 *
 * Codes are stable: they appear in saved logs, docs and tests, so a code is never renamed. Their
 * prefixes grew with the modules and are kept, each meaning one thing:
 *
 * | prefix | what gives it |
 * | --- | --- |
 * | `E_` | an error anywhere (the graph validator, the protocol, files, runs, export, import, the GPU) |
 * | `W_` | a warning of the graph validator or the importer: shown, never blocking |
 * | `DATA_` | a dataset loader (`core/data`, `node/datasets.ts`) |
 * | `TRAIN_` | the trainer (`core/train`) |
 * | `OPTIM_`, `SCHEDULE_`, `EARLY_STOP_`, `INIT_`, `SETTING_` | the optimizer and schedule registries, parameter initialisation |
 * | `CLI_` | a command-line tool's own argument checks (`node/*-cli.ts`) |
 * | `RUN_` | the run store (`RUN_NOT_FOUND`) |
 * | `HEALTH_`, `GAN_`, `PROBE_` | the probes: a layer's or a GAN's health warnings, a probe misused |
 *
 * Adding a code: add its line here (kept sorted); `ErrorCode` then admits it wherever errors are
 * built, and `test/unit/architecture/error-table.test.ts` fails for a code literal in `src-*` that is not
 * here. The table lives in `base`, the one tier every other may import (core, app, node, the
 * renderer through the facade); the protocol's `ErrorCodes` names some of these codes for its own
 * use and is checked against the table by that test.
 *
 * @example
 *   nextAction('E_CYCLE') // → 'Remove one of the connections the message lists.'
 */
export interface ErrorEntry {
  /** What the code means, in a few words (the message itself says which node, file or value). */
  readonly title: string;
  /** What the user does next. */
  readonly action: string;
  /** The docs section that explains it: `file.md#anchor` under `docs/`. */
  readonly docs: string;
}

export const ERRORS = {
  CLI_BAD_GRAPH: { title: 'The graph file has errors', action: 'Open it in the app and fix the problems it lists.', docs: 'trainer.md#quick-start' },
  CLI_BAD_JSON: { title: 'The file is not valid JSON', action: 'Open the file and fix the JSON, or export it again from the app.', docs: 'trainer.md#quick-start' },
  CLI_FREEZE: { title: 'Nothing to freeze by that name', action: 'Pass --freeze backbone (every layer before the classifier head) or the id of a node (it and every layer before it).', docs: 'trainer.md#fine-tuning-from-the-command-line' },
  CLI_NOT_A_FILE: { title: 'The path is not a file', action: 'Name a regular file, not a folder, device or pipe.', docs: 'trainer.md#quick-start' },
  CLI_NOT_A_FOLDER: { title: 'The path is not a folder', action: 'Name a folder, not a file or device (a missing workspace is made when you first save).', docs: 'trainer.md#quick-start' },
  CLI_NOT_A_RUN: { title: 'The folder is not a stored run', action: 'Name a run folder (one holding run.json), a run id with --runs, or a model file.', docs: 'trainer.md#quick-start' },
  CLI_NO_FILE: { title: 'No such file', action: 'Check the path.', docs: 'trainer.md#quick-start' },
  CLI_NO_RUNS: { title: 'A run id without a run folder', action: 'Say where the runs are with --runs DIR (or NETWRIGHT_RUNS_DIR).', docs: 'trainer.md#quick-start' },
  CLI_NO_RUNS_DIR: { title: 'The design starts from a stored run', action: 'Name the run folder with --runs DIR.', docs: 'trainer.md#quick-start' },
  CLI_TOO_LARGE: { title: 'The file is larger than Netwright reads', action: 'Use a smaller file: a design, project or model is read whole, up to the limit the message gives.', docs: 'trainer.md#quick-start' },
  CLI_USAGE: { title: 'The command line is not understood', action: 'Run the command with --help and fix the arguments.', docs: 'trainer.md#quick-start' },
  CLI_WEIGHTS_ONLY: { title: 'Weights without their design', action: 'Name what they were exported from: the project, its model.json or .onnx export, or the run (in the app, Train ▸ Load weights… puts a .safetensors file into its design).', docs: 'trainer.md#predicting' },
  DATA_BAD_OPTION: { title: 'A dataset option is not valid', action: 'Fix the option the message names.', docs: 'data.md#image-folders' },
  DATA_BAD_SPLIT: { title: 'The split is not valid', action: 'Give train, validation and test fractions, each in [0, 1), that sum to 1 (--split 0.7,0.15,0.15), and no test share for data with its own test split.', docs: 'data.md#splits' },
  DATA_CHANGED: { title: 'The data changed since the project saved it', action: 'Pick the data again to train on what is there now.', docs: 'data.md#in-the-app' },
  DATA_CSV_BAD_CELL: { title: 'A table cell is not a number', action: 'Fix or drop that row, or mark the column categorical.', docs: 'data.md#tables' },
  DATA_CSV_BAD_QUOTE: { title: 'A CSV quote is misplaced', action: 'Quote the whole field and double the quotes inside it.', docs: 'data.md#in-the-app' },
  DATA_CSV_BAD_ROW: { title: 'A CSV row is too long or ragged', action: 'Check the file is a table with one record per line.', docs: 'data.md#tables' },
  DATA_CSV_EMPTY: { title: 'The table has no feature columns', action: 'Keep at least one feature column besides the target.', docs: 'data.md#in-the-app' },
  DATA_CSV_NO_TARGET: { title: 'The table has no such target column', action: 'Name the target column from the header row, or give its 0-based number.', docs: 'data.md#in-the-app' },
  DATA_CSV_TOO_MANY_CATEGORIES: { title: 'A text column has too many distinct values', action: 'Ignore the column or clean it.', docs: 'data.md#tables' },
  DATA_IDX_BAD_DIMS: { title: 'The IDX header\'s dimensions are wrong', action: 'Download or copy the IDX file again.', docs: 'trainer.md#datasets' },
  DATA_IDX_BAD_LENGTH: { title: 'The IDX file\'s length does not match its header', action: 'Download or copy the IDX file again.', docs: 'trainer.md#datasets' },
  DATA_IDX_BAD_MAGIC: { title: 'The file is not an IDX file', action: 'Pick the IDX (ubyte) file, gunzipped or .gz.', docs: 'trainer.md#datasets' },
  DATA_IDX_BAD_TYPE: { title: 'The IDX value type is unknown', action: 'Pick an IDX file of bytes, integers or floats.', docs: 'trainer.md#datasets' },
  DATA_IDX_MISMATCH: { title: 'The images and labels do not belong together', action: 'Pick the label file that goes with the image file.', docs: 'trainer.md#datasets' },
  DATA_IDX_TRUNCATED: { title: 'The IDX file is cut short', action: 'Download or copy the file again.', docs: 'trainer.md#datasets' },
  DATA_IMAGES_EMPTY: { title: 'No image can be read in the folder', action: 'Put PNG, JPEG or WebP images in one sub-folder per class.', docs: 'data.md#image-folders' },
  DATA_IMAGES_ONE_CLASS: { title: 'The images are all in one class', action: 'Add a second class folder: a classifier needs at least two.', docs: 'data.md#image-folders' },
  DATA_IMAGE_UNREADABLE: { title: 'An image could not be read (it is fed as zeros)', action: 'Replace or remove the file named in the list of skipped images.', docs: 'data.md#folders-larger-than-memory' },
  DATA_LABEL_RANGE: { title: 'A label is not a class index', action: 'Use whole-number labels from 0, at most 100,000 classes.', docs: 'trainer.md#datasets' },
  DATA_LOAD_FAILED: { title: 'The dataset could not be loaded', action: 'Check the file named in the message and pick it again.', docs: 'data.md#in-the-app' },
  DATA_MASK_CLASS: { title: 'A mask pixel is not a class id', action: 'Save masks as grey PNGs whose value is the class id (0 = background), or palette PNGs whose index is, within the classes classes.txt names.', docs: 'data.md#masks-segmentation' },
  DATA_MASK_FORMAT: { title: 'A mask is not a PNG', action: 'Save the mask as a PNG (lossless; a JPEG blurs the class ids): grey whose value is the class id, or with a palette whose index is.', docs: 'data.md#masks-segmentation' },
  DATA_MASK_MISSING: { title: 'An image has no mask', action: 'Put a PNG mask of the same name in masks/, or move the image out of images/.', docs: 'data.md#masks-segmentation' },
  DATA_MASK_SIZE: { title: 'A mask is not the size of its image', action: 'Save the mask at its image\'s size: one class id per pixel.', docs: 'data.md#masks-segmentation' },
  DATA_NAN: { title: 'The data holds NaN or infinite values', action: 'Fill or drop the samples named before training.', docs: 'data.md#tables' },
  DATA_NOT_ALLOWED: { title: 'The data is outside the workspace', action: 'Copy the file into the workspace folder.', docs: 'security.md#datasets-src-enginenodedata-accessts-datasetsts-coredata' },
  DATA_NOT_A_FILE: { title: 'The path is not the kind of file expected', action: 'Pick a file (or, for an image dataset, a folder).', docs: 'security.md#datasets-src-enginenodedata-accessts-datasetsts-coredata' },
  DATA_NOT_FOUND: { title: 'The data file is not there', action: 'Check the path, or save the targets beside the features as the message says.', docs: 'data.md#numpy-arrays' },
  DATA_NPY_BAD: { title: 'The NumPy file is damaged or unsupported', action: 'Save the array again with numpy.save (no pickled objects).', docs: 'data.md#numpy-arrays' },
  DATA_SERIES_GAP: { title: 'The time series has a gap', action: 'Choose what to do with gaps: interpolate (fill each on the line between its neighbours) or drop (leave those rows out): Gaps in Add data, --gaps on the command line, options.gaps in the graph.', docs: 'data.md#time-series-from-a-table' },
  DATA_SERIES_ORDER: { title: 'The time series is not in time order', action: 'Sort the file by its time column, one row per time, every row with its time.', docs: 'data.md#time-series-from-a-table' },
  DATA_TEXT_EMPTY: { title: 'A text or its label is empty', action: 'Fill the row the message names, or delete it.', docs: 'data.md#labelled-text-for-a-classifier-fortunes-topics-text-folder-text-csv' },
  DATA_TEXT_NO_COLUMN: { title: 'The table has no such text or label column', action: 'Choose the text and the label column from the header row.', docs: 'data.md#labelled-text-for-a-classifier-fortunes-topics-text-folder-text-csv' },
  DATA_TEXT_ONE_CLASS: { title: 'The texts are all of one class', action: 'Choose the label column, or add texts of a second class.', docs: 'data.md#labelled-text-for-a-classifier-fortunes-topics-text-folder-text-csv' },
  DATA_TEXT_UNKNOWN_CLASS: { title: 'A text\'s label is not one of the model\'s classes', action: 'Fix the label on the line (or folder) the message names, or leave that text out: a model is measured on the classes it was trained on.', docs: 'trainer.md#evaluating-a-model' },
  DATA_TOO_LARGE: { title: 'The data is larger than Netwright reads', action: 'Use a smaller file or folder, or a subset.', docs: 'data.md#image-folders' },
  DATA_TOO_SMALL: { title: 'The data holds too few samples', action: 'Add samples, or check the arrays\' shapes.', docs: 'data.md#in-the-app' },
  DATA_UNKNOWN: { title: 'The dataset is unknown', action: 'Choose one of the datasets listed.', docs: 'data.md#in-the-app' },
  EARLY_STOP_BAD_CONFIG: { title: 'An early-stopping setting is out of range', action: 'Set patience to a whole number ≥ 0 and minDelta ≥ 0.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  E_ATTR_RANGE: { title: 'An attribute is out of range', action: 'Set the attribute in the Inspector to a value in its range.', docs: 'ir.md#diagnostic-codes' },
  E_ATTR_TYPE: { title: 'An attribute has the wrong type', action: 'Set the attribute in the Inspector to a value of its type.', docs: 'ir.md#diagnostic-codes' },
  E_BATCH_SIZE: { title: 'The batch size is not a positive whole number', action: 'Set the batch size to a whole number ≥ 1.', docs: 'ir.md#diagnostic-codes' },
  E_CAMERA_DENIED: { title: 'The camera was not allowed', action: 'Allow the camera for Netwright (the browser\'s or the system\'s privacy settings), then click again.', docs: 'data.md#the-camera' },
  E_CAMERA_FAILED: { title: 'The camera could not start', action: 'Close other apps using the camera, then click again.', docs: 'data.md#the-camera' },
  E_CAMERA_NOT_FOUND: { title: 'No camera was found', action: 'Connect a camera, or add photos from a folder instead.', docs: 'data.md#the-camera' },
  E_CANCELLED: { title: 'The operation was cancelled', action: 'Start it again when you want it.', docs: 'export.md#import' },
  E_CLI_INTERNAL: { title: 'The netwright command failed unexpectedly', action: 'Report it with the stack trace printed.', docs: 'trainer.md#quick-start' },
  E_CYCLE: { title: 'The graph has a cycle', action: 'Remove one of the connections the message lists.', docs: 'ir.md#diagnostic-codes' },
  E_DANGLING_INPUT: { title: 'An input refers to a node that does not exist', action: 'Connect the input to an existing node, or remove it.', docs: 'ir.md#diagnostic-codes' },
  E_DATA: { title: 'The data could not be read', action: 'Check the data and pick it again.', docs: 'data.md#in-the-app' },
  E_DATA_MISMATCH: { title: 'The data does not fit the design', action: 'Pick other data, or let the app fit the design to it.', docs: 'data.md#in-the-app' },
  E_DATA_SCAN_UNAVAILABLE: { title: 'This engine cannot read your data', action: 'Start Netwright with file access (the desktop app or web mode with a workspace).', docs: 'data.md#in-the-app' },
  E_DUPLICATE_ID: { title: 'Two nodes have the same id', action: 'Rename one of them.', docs: 'ir.md#diagnostic-codes' },
  E_DUPLICATE_LOSS: { title: 'A loss is listed twice', action: 'List each loss node once.', docs: 'ir.md#diagnostic-codes' },
  E_EDIT_BAD_ATTR: { title: 'The attribute value is not valid', action: 'Enter a value of the attribute\'s type and range.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_BAD_ID: { title: 'The name is not a valid id', action: 'Use a non-empty name of at most 200 characters.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_CANNOT_INSERT: { title: 'The op cannot be inserted on this connection', action: 'Drop it on a connection whose shape it takes, or add it apart and connect it.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_CYCLE: { title: 'The connection would make a cycle', action: 'Connect to a node that does not feed this one.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_DUPLICATE_ID: { title: 'The name is taken', action: 'Pick another name.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_NO_SUCH_EDGE: { title: 'The connection no longer exists', action: 'Refresh the selection and try again.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_NO_SUCH_INPUT: { title: 'The node has no such input', action: 'Connect to one of the node\'s inputs.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_SELF_LOOP: { title: 'A node cannot feed itself', action: 'Connect it to another node.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_SHAPE: { title: 'The shapes do not fit', action: 'Follow the hint in the message (e.g. add a Flatten).', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_UNKNOWN_NODE: { title: 'The node no longer exists', action: 'Refresh the selection and try again.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EDIT_UNKNOWN_OP: { title: 'The op is unknown', action: 'Pick an op from the palette.', docs: 'designer.md#dropping-an-op-on-an-edge-insert-node-edit-connectts-insertionproblem' },
  E_EMPTY: { title: 'The graph has no nodes', action: 'Drag an op from the palette, or open an example.', docs: 'designer.md#first-screen' },
  E_ENGINE_CRASHED_ON_REQUEST: { title: 'The engine crashed on this request', action: 'Check the input it was working on, then ask again.', docs: 'architecture.md#processes' },
  E_ENGINE_DISCONNECTED: { title: 'The engine disconnected', action: 'Wait for it to restart, then try again.', docs: 'architecture.md#processes' },
  E_ENGINE_GONE: { title: 'The engine stopped during the run', action: 'Wait for the engine to restart, then start the run again.', docs: 'architecture.md#processes' },
  E_ENGINE_INTERNAL: { title: 'The engine failed unexpectedly', action: 'Try again; if it repeats, report it with the log.', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_ENGINE_NOT_READY: { title: 'The engine is not connected yet', action: 'Wait until the engine is ready, then try again.', docs: 'architecture.md#processes' },
  E_ENGINE_TAKEN: { title: 'Another tab took the engine', action: 'The run goes on in that tab; "Use it here" brings the engine back to this one.', docs: 'architecture.md#processes' },
  E_ENGINE_UNAVAILABLE: { title: 'No engine is running', action: 'Wait for the engine to start, or restart it.', docs: 'architecture.md#processes' },
  E_EVALUATE_FAILED: { title: 'The evaluation failed', action: 'Fix the cause the message names and evaluate again.', docs: 'trainer.md#evaluating-a-model' },
  E_EVALUATE_INTERNAL: { title: 'The evaluation failed unexpectedly', action: 'Report it with the stack trace printed.', docs: 'trainer.md#evaluating-a-model' },
  E_EXPLAIN_LAYER: { title: 'Grad-CAM cannot use that layer', action: 'Pick one of the convolution layers the Playground lists.', docs: 'trainer.md#looking-inside-a-prediction' },
  E_EXPLAIN_NOT_DIFFERENTIABLE: { title: 'No gradient flows from the prediction back to the input', action: 'Explain a model whose input reaches its prediction through layers that pass gradients.', docs: 'trainer.md#looking-inside-a-prediction' },
  E_EXPLAIN_NO_CONV: { title: 'The model has no convolution layer for Grad-CAM', action: 'Use the saliency map, or Grad-CAM on a model with Conv2d layers.', docs: 'trainer.md#looking-inside-a-prediction' },
  E_EXPLAIN_OUTPUT: { title: 'The prediction is not one score per class or output', action: 'Explain a model whose prediction is a vector (a classifier\'s logits, a regression\'s outputs).', docs: 'trainer.md#looking-inside-a-prediction' },
  E_EXPLAIN_TARGET: { title: 'There is no such class or output', action: 'Pick one of the model\'s classes.', docs: 'trainer.md#looking-inside-a-prediction' },
  E_EXPORT: { title: 'The export failed', action: 'Fix the cause the message names and export again.', docs: 'export.md#errors' },
  E_EXPORT_CANCELLED: { title: 'The export was cancelled', action: 'Export again when you want it; nothing was left half-written.', docs: 'export.md#errors' },
  E_EXPORT_CHUNK_ORDER: { title: 'Part of the export arrived out of order', action: 'Export again; the partial file was removed.', docs: 'export.md#errors' },
  E_EXPORT_DISK_FULL: { title: 'The disk is full', action: 'Free some space and export again.', docs: 'export.md#errors' },
  E_EXPORT_DIVERGED: { title: 'The weights are a diverged run\'s', action: 'Export an earlier checkpoint, or train again with a smaller learning rate.', docs: 'export.md#errors' },
  E_EXPORT_EXISTS: { title: 'The export target exists', action: 'Pick another name, or allow replacing it.', docs: 'export.md#errors' },
  E_EXPORT_FOLD: { title: 'The input normalisation cannot be folded', action: 'Export with the normalisation as leading nodes instead.', docs: 'export.md#what-the-exported-file-contains' },
  E_EXPORT_FOLDER_NOT_EMPTY: { title: 'The export folder is not empty', action: 'Pick an empty or new folder.', docs: 'export.md#errors' },
  E_EXPORT_FORMAT: { title: 'There is no such export format', action: 'Choose one of the formats listed.', docs: 'export.md#errors' },
  E_EXPORT_GONE: { title: 'The engine no longer holds that export', action: 'Export again.', docs: 'export.md#errors' },
  E_EXPORT_GRAPH: { title: 'The graph is not valid, so it cannot be exported', action: 'Fix the problems listed, then export.', docs: 'export.md#errors' },
  E_EXPORT_INTERNAL: { title: 'The export failed unexpectedly', action: 'Report it with the stack trace printed.', docs: 'export.md#errors' },
  E_EXPORT_INVALID: { title: 'The graph does not validate for ONNX', action: 'Fix the diagnostics listed, then export.', docs: 'export.md#errors' },
  E_EXPORT_NOT_A_FOLDER: { title: 'A folder on the way to the export target is a file', action: 'Pick a place whose folders are folders (or move the file the message names).', docs: 'export.md#errors' },
  E_EXPORT_NO_OUTPUT: { title: 'The graph names no output to infer', action: 'Add the prediction to the graph\'s outputs.', docs: 'export.md#errors' },
  E_EXPORT_NO_WEIGHTS: { title: 'There are no trained weights to export', action: 'Train the design (or load a model) first.', docs: 'export.md#where-the-weights-come-from' },
  E_EXPORT_OPTION: { title: 'An export option is out of range', action: 'Pick a value the export dialog offers.', docs: 'export.md#errors' },
  E_EXPORT_SETTING: { title: 'An export setting is unknown', action: 'Use one of the settings the format lists.', docs: 'export.md#command-line' },
  E_EXPORT_TEMP_TAKEN: { title: 'Something took the export\'s temp file name', action: 'Export again (another name is drawn); if it repeats, another user or program is planting links in that folder: export elsewhere.', docs: 'export.md#errors' },
  E_EXPORT_TOO_LARGE: { title: 'The model is too large for this export', action: 'Make the model smaller (fewer or narrower layers), or export ONNX or a PyTorch project, which have no such limit.', docs: 'export.md#web-page' },
  E_EXPORT_UNSUPPORTED: { title: 'The graph cannot be expressed in this format', action: 'Export to another format, or change the nodes listed.', docs: 'export.md#errors' },
  E_EXPORT_UNSUPPORTED_OP: { title: 'An op has no form in this format', action: 'Export to another format, or replace the op.', docs: 'export.md#errors' },
  E_EXPORT_WEIGHTS: { title: 'A weight is missing or the wrong size', action: 'Train the model again, or load the model that goes with this graph.', docs: 'export.md#errors' },
  E_EXPORT_WRITE: { title: 'The export cannot be written there', action: 'Pick another place.', docs: 'export.md#errors' },
  E_EXTRA_INPUT: { title: 'A node has more inputs than it takes', action: 'Remove the extra connection.', docs: 'ir.md#diagnostic-codes' },
  E_FEATURE_CACHE_DISK_FULL: { title: 'The disk of the temporary folder is full', action: 'Free some space there (or set TMPDIR to a folder on a larger disk) and train again; the partial feature cache was removed.', docs: 'trainer.md#a-frozen-backbone-is-computed-once' },
  E_FILE: { title: 'The file operation failed', action: 'Try again, or pick another file.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_BAD_REQUEST: { title: 'The host did not understand the request', action: 'Reload the window; if it repeats, report it.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_BAD_RESPONSE: { title: 'The host gave a malformed answer', action: 'Reload the window; if it repeats, report it.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_BUSY: { title: 'Another Netwright is saving the file', action: 'Save again in a moment; if it repeats, close the other window or host using the folder.', docs: 'architecture.md#the-file-channel-src-contractsfilests' },
  E_FILE_CHANGED: { title: 'The file changed on disk since it was opened', action: 'Choose to replace it, or save under another name.', docs: 'architecture.md#the-file-channel-src-contractsfilests' },
  E_FILE_CONTENT: { title: 'The content cannot be saved', action: 'Save text (or a complete export).', docs: 'data.md#numpy-arrays' },
  E_FILE_DISK_FULL: { title: 'Not enough disk space for the project\'s weights', action: 'Free the space the message names on that disk (or save the project on another disk), then save again; the project on disk is as it was.', docs: 'export.md#weights-kept-with-the-project' },
  E_FILE_EXISTS: { title: 'A file of that name exists', action: 'Choose to replace it, or pick another name.', docs: 'architecture.md#the-file-channel-src-contractsfilests' },
  E_FILE_HIDDEN_NAME: { title: 'The name starts with "."', action: 'Rename it and upload again.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_HTTP: { title: 'The host answered with an error', action: 'Check the Netwright host is running, then try again.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_IO: { title: 'The file could not be read or written', action: 'Check the disk and the folder\'s permissions.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_LOCK_BLOCKED: { title: 'Something else has the name of the project\'s save lock', action: 'Move or rename the folder or file the message names (the project\'s name followed by .lock), then save again.', docs: 'architecture.md#the-file-channel-src-contractsfilests' },
  E_FILE_NOT_A_FILE: { title: 'The path is not a file', action: 'Pick a file.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_NOT_FOUND: { title: 'The file no longer exists', action: 'Pick it again from where it is now.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_NOT_GRANTED: { title: 'The file was not opened through Netwright', action: 'Open or save the file through the File menu first.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_OUTSIDE_WORKSPACE: { title: 'The path is outside the workspace', action: 'Use a file inside the workspace folder.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_PATH: { title: 'The path is not valid', action: 'Use a plain file name.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FILE_TOO_LARGE: { title: 'The file is too large', action: 'Use a smaller file.', docs: 'security.md#the-hosts-file-service-src-mainhostfilests' },
  E_FORBIDDEN: { title: 'The request was refused', action: 'Open Netwright from the address it printed (with its token).', docs: 'security.md#web-mode-src-mainwebserverts' },
  E_FOREIGN_SELECTION: { title: 'The loss selection belongs to another plan', action: 'Call selectLosses on the plan that runs it.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  E_FORMAT: { title: 'The file is not a Netwright graph', action: 'Open a Netwright graph, or import the model (ONNX) instead.', docs: 'ir.md#diagnostic-codes' },
  E_GENERATE_INPUT: { title: 'The generator also reads samples', action: 'Draw samples from a generator fed by noise alone.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_GENERATE_LABEL: { title: 'There is no such class', action: 'Pick a class the generator draws.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_GPU_BAD_ARGS: { title: 'The GPU layer was called wrongly', action: 'Report it: it is a bug in Netwright.', docs: 'webgpu-backend.md' },
  E_GPU_DEVICE: { title: 'The GPU reported an error', action: 'Train on the CPU, or update the graphics driver.', docs: 'webgpu-backend.md#what-was-tested-here-and-what-was-not' },
  E_GPU_LOST: { title: 'The GPU was lost', action: 'Train again (on the CPU if it repeats).', docs: 'architecture.md#the-sessions-hooks-src-engineappsession' },
  E_GPU_NO_KERNEL: { title: 'An op cannot run on the GPU yet', action: 'Train on the CPU.', docs: 'ir.md#frozen-nodes-fine-tuning-v3' },
  E_GPU_UNAVAILABLE: { title: 'No GPU is available', action: 'Train on the CPU.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_GRAPH_INVALID: { title: 'The graph is not valid', action: 'Fix the problems listed in Problems.', docs: 'ir.md#validating-analyzegraph' },
  E_GROUPS: { title: 'The optimizer groups are malformed', action: 'Give each group a name and its nodes.', docs: 'ir.md#diagnostic-codes' },
  E_GROUP_DISCONNECTED: { title: 'The group\'s nodes are not connected', action: 'Group nodes that form one connected piece.', docs: 'ir.md#node-groups-groups-v3' },
  E_GROUP_LEAKS: { title: 'Another node sits between the group\'s nodes', action: 'Add the node in between to the group, or group fewer nodes.', docs: 'ir.md#node-groups-groups-v3' },
  E_GROUP_OVERLAP: { title: 'A node is in two groups', action: 'Keep each node in at most one group.', docs: 'ir.md#diagnostic-codes' },
  E_GROUP_TOO_SMALL: { title: 'A group needs at least two nodes', action: 'Select two or more nodes to group.', docs: 'ir.md#node-groups-groups-v3' },
  E_GROUP_UNKNOWN: { title: 'There is no such group', action: 'Refresh the view and try again.', docs: 'ir.md#node-groups-groups-v3' },
  E_HEAD_ID: { title: 'A node of that name exists', action: 'Pick another name for the new head.', docs: 'ir.md#frozen-nodes-fine-tuning-v3' },
  E_HEAD_UNKNOWN: { title: 'There is no such head node', action: 'Pick the Linear or convolution that ends the network.', docs: 'ir.md#frozen-nodes-fine-tuning-v3' },
  E_HEAD_WIDTH: { title: 'The node has no output width to set', action: 'Pick a Linear or a convolution as the head.', docs: 'ir.md#frozen-nodes-fine-tuning-v3' },
  E_ID_RANGE: { title: 'An id is outside the table', action: 'Make the Embedding (numEmbeddings) or OneHot (numClasses) at least as large as the data\'s ids — the vocabulary or the classes — or fix the ids.', docs: 'data.md#ids-out-of-range' },
  E_IMPORT: { title: 'The import failed', action: 'Fix the cause the message names and import again.', docs: 'export.md#import' },
  E_IMPORT_CYCLE: { title: 'The model computes a value from itself', action: 'Export the model again from its framework.', docs: 'export.md#import' },
  E_IMPORT_FORMAT: { title: 'The file is not an ONNX model', action: 'Pick an .onnx file (not an external-data file).', docs: 'export.md#import' },
  E_IMPORT_INVALID: { title: 'The imported graph does not validate', action: 'Export the model again, or fix it where it was made.', docs: 'export.md#import' },
  E_IMPORT_STAGED: { title: 'The imported model is no longer waiting', action: 'Import the file again.', docs: 'export.md#import' },
  E_IMPORT_TOO_LARGE: { title: 'The model is too large to import', action: 'Import a smaller model: the message names the limit it passed (the file’s size, its node count or a constant it computes).', docs: 'export.md#import' },
  E_IMPORT_UNSUPPORTED: { title: 'The model has ops Netwright cannot read', action: 'Export it without the nodes listed, or rebuild those parts in the designer.', docs: 'export.md#import' },
  E_INTERNAL: { title: 'The graph could not be checked', action: 'Report it with the graph: it is a bug in Netwright.', docs: 'ir.md#diagnostic-codes' },
  E_IPC_UNTRUSTED_SENDER: { title: 'The request did not come from the Netwright window', action: 'Use Netwright\'s own window.', docs: 'security.md#electron-src-mainelectronmaints-src-mainhostelectron-policyts-src-mainbuildfusests' },
  E_LABEL_RANGE: { title: 'A label is outside the classes', action: 'Make the output width at least the number of classes, or fix the labels.', docs: 'cpu-backend.md#activations-softmax-and-crossentropyloss-activationswat' },
  E_LESSON_REPORT_RUNS: { title: 'The report needs other runs', action: 'Train the runs the message names, then ask again.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_MIGRATION: { title: 'The graph could not be upgraded', action: 'Open it in the Netwright that saved it and save it again.', docs: 'ir.md#diagnostic-codes' },
  E_MISSING_INPUT: { title: 'A node\'s input is not connected', action: 'Connect the input the message names.', docs: 'ir.md#diagnostic-codes' },
  E_MODEL_FORMAT: { title: 'The file is not a Netwright model', action: 'Pick a .model.json exported by Netwright.', docs: 'export.md#errors' },
  E_MODEL_GRAPH: { title: 'The model\'s graph is not valid', action: 'Open it in the designer and fix the problems listed.', docs: 'export.md#errors' },
  E_MODEL_NEWER: { title: 'The model is from a newer Netwright', action: 'Update Netwright to open it.', docs: 'export.md#errors' },
  E_MODEL_NO_SAMPLES: { title: 'The split has no samples', action: 'Evaluate on a split that holds samples.', docs: 'trainer.md#evaluating-a-model' },
  E_MODEL_TOO_LARGE: { title: 'The model is larger than the engine may hold', action: 'Open the project where the engine may use more memory (the desktop app, or a host with more memory), or make the model smaller.', docs: 'export.md#weights-kept-with-the-project' },
  E_MODEL_VALUES: { title: 'The weights hold NaN or infinite values', action: 'Train the model again, or load an earlier checkpoint.', docs: 'export.md#errors' },
  E_MODEL_WEIGHTS: { title: 'The weights do not fit the graph', action: 'Load the model that goes with this graph.', docs: 'export.md#errors' },
  E_NODES: { title: 'The graph\'s nodes are malformed', action: 'Export the graph again from Netwright.', docs: 'ir.md#diagnostic-codes' },
  E_NODE_INVALID: { title: 'A node is malformed', action: 'Export the graph again from Netwright.', docs: 'ir.md#diagnostic-codes' },
  E_NOT_A_GAN: { title: 'The model is not a GAN', action: 'Draw samples from a model with a generator.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_NOT_A_LOSS: { title: 'The node named as loss is not a loss', action: 'Name a loss node (e.g. CrossEntropyLoss, MSELoss).', docs: 'ir.md#diagnostic-codes' },
  E_NOT_A_TRAINING_LOSS: { title: 'The node is not one of the training losses', action: 'Pick one of the losses listed.', docs: 'ir.md#diagnostic-codes' },
  E_NOT_OBJECT: { title: 'The file is not a graph', action: 'Open a Netwright graph file.', docs: 'ir.md#diagnostic-codes' },
  E_NO_LOSS: { title: 'Training needs a loss', action: 'Add a loss node and set it as the training loss.', docs: 'designer.md#no-traps-when-building-from-scratch-editortraining-defaultsts' },
  E_NO_SUCH_INPUT: { title: 'The graph has no such Input', action: 'Use one of the inputs listed.', docs: 'ir.md#diagnostic-codes' },
  E_NO_SUCH_NODE: { title: 'The graph has no such node', action: 'Pick a node that is in the graph.', docs: 'ir.md#diagnostic-codes' },
  E_OUTPUTS: { title: 'The graph\'s outputs are malformed', action: 'Map each output name to a node id.', docs: 'ir.md#diagnostic-codes' },
  E_OUTPUT_EMPTY: { title: 'A node would produce no values', action: 'Check its attributes and inputs.', docs: 'ir.md#diagnostic-codes' },
  E_OUTPUT_UNKNOWN: { title: 'An output refers to no node', action: 'Point the output at an existing node.', docs: 'ir.md#diagnostic-codes' },
  E_PREDICT_INPUT: { title: 'An input cannot be read as a sample', action: 'Name images or folders of them, a table (.csv, .tsv) of the columns the model was trained on, arrays (.npy, .npz), or a text for a text model.', docs: 'trainer.md#predicting' },
  E_PREDICT_INTERNAL: { title: 'The prediction failed unexpectedly', action: 'Report it with the stack trace printed.', docs: 'trainer.md#predicting' },
  E_PREDICT_NOT_FINITE: { title: 'The prediction is not a finite number', action: 'Give values of the range the model was trained on (a float32 holds up to ±3.4e38); if every input gives this, its weights hold NaN or infinities: train again with a smaller learning rate.', docs: 'trainer.md#predicting' },
  E_PREDICT_SHAPE: { title: 'The samples do not fit the model\'s input', action: 'Give samples of the shape the model takes.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_PREDICT_TEXT: { title: 'This model cannot read a typed text', action: 'Train it on labelled texts, or pick a test sample.', docs: 'data.md#labelled-text-for-a-classifier-fortunes-topics-text-folder-text-csv' },
  E_PREDICT_UNSUPPORTED: { title: 'The model\'s answers cannot be written as a table', action: 'Look at its predictions in the app\'s Playground.', docs: 'trainer.md#predicting' },
  E_PROJECT_CORRUPT: { title: 'The project file is damaged', action: 'Open a backup or autosave of the project.', docs: 'security.md#files-from-strangers-src-renderersrceditorprojectts-layoutts' },
  E_PROJECT_FOREIGN: { title: 'The file is not a Netwright project', action: 'Open a .netwright.json project, or import the model instead.', docs: 'security.md#files-from-strangers-src-renderersrceditorprojectts-layoutts' },
  E_PROJECT_NEWER: { title: 'The project is from a newer Netwright', action: 'Update Netwright to open it.', docs: 'security.md#files-from-strangers-src-renderersrceditorprojectts-layoutts' },
  E_PROJECT_NOT_JSON: { title: 'The project is not JSON', action: 'Open a backup or autosave of the project.', docs: 'security.md#files-from-strangers-src-renderersrceditorprojectts-layoutts' },
  E_PROJECT_TOO_DEEP: { title: 'The project is nested too deeply', action: 'Open a project saved by Netwright.', docs: 'security.md#files-from-strangers-src-renderersrceditorprojectts-layoutts' },
  E_PROJECT_TOO_LARGE: { title: 'The project holds too many values', action: 'Open a project saved by Netwright.', docs: 'security.md#files-from-strangers-src-renderersrceditorprojectts-layoutts' },
  E_PROJECT_UNKNOWN_OP: { title: 'The project uses an unknown op', action: 'Update Netwright, or remove the node.', docs: 'security.md#files-from-strangers-src-renderersrceditorprojectts-layoutts' },
  E_PROTOCOL_BAD_FRAME: { title: 'A message frame is damaged', action: 'Try again; if it repeats, reload the window.', docs: 'training-protocol.md#events-engine--renderer-all-carrying-runid' },
  E_PROTOCOL_BAD_MESSAGE: { title: 'A message was malformed', action: 'Reload the window; if it repeats, report it.', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_PROTOCOL_BAD_PARAMS: { title: 'A request\'s parameters were malformed', action: 'Reload the window; if it repeats, report it.', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_PROTOCOL_BAD_RESULT: { title: 'An answer was malformed', action: 'Try again; if it repeats, report it.', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_PROTOCOL_TOO_DEEP: { title: 'A message was nested too deeply', action: 'Simplify what was sent (a smaller design or file).', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_PROTOCOL_TOO_LARGE: { title: 'A message was too large', action: 'Send less at once (a smaller design or file).', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_PROTOCOL_UNKNOWN_METHOD: { title: 'The engine does not know the request', action: 'Reinstall Netwright so the app and engine match.', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_PROTOCOL_VERSION: { title: 'The app and engine speak different protocols', action: 'Reinstall Netwright so both match.', docs: 'architecture.md#the-protocol-src-engineprotocol' },
  E_QUANTIZE_DATA: { title: 'The calibration data does not fit the model', action: 'Name data of the kind the model was trained on (--data), or leave it out to calibrate on its own training split.', docs: 'export.md#int8-quantisation' },
  E_QUANTIZE_INTERNAL: { title: 'The quantisation failed unexpectedly', action: 'Report it with the stack trace printed.', docs: 'export.md#int8-quantisation' },
  E_QUANTIZE_KEEP_FLOAT: { title: 'A layer to keep in float32 is not one the int8 path quantises', action: 'Name Linear, Conv2d or ConvTranspose2d layers the prediction is computed from, by their node ids (the sensitivity table lists them).', docs: 'export.md#int8-quantisation' },
  E_QUANTIZE_UNSUPPORTED: { title: 'A layer has no int8 form yet', action: 'Export the float model instead (ONNX); the int8 path covers Linear, Conv2d, BatchNorm, ReLU, MaxPool2d, Flatten and Dropout in int8, and ConvTranspose2d, HardSwish, HardSigmoid, GlobalAvgPool, Concat, Add and Multiply in float between them.', docs: 'export.md#int8-quantisation' },
  E_RANK: { title: 'An input has the wrong number of dimensions', action: 'Reshape or Flatten the input to the rank the op takes.', docs: 'ir.md#diagnostic-codes' },
  E_RUNS_UNAVAILABLE: { title: 'This engine keeps no runs', action: 'Start Netwright with a run folder.', docs: 'runs.md#the-run-store' },
  E_RUN_ACTIVE: { title: 'The run is still training', action: 'Stop the run first.', docs: 'runs.md#the-run-store' },
  E_RUN_CHECKPOINT_CORRUPT: { title: 'The checkpoint is damaged', action: 'Use the run\'s other checkpoint, or train again.', docs: 'runs.md#resume-and-continue' },
  E_RUN_CHECKPOINT_MISMATCH: { title: 'The checkpoint does not fit the design', action: 'Resume with the design the run trained.', docs: 'runs.md#resume-and-continue' },
  E_RUN_CRASHED: { title: 'The run crashed', action: 'Look at its curves up to the crash, then train again.', docs: 'runs.md#the-run-store' },
  E_RUN_DAMAGED: { title: 'The run cannot be read', action: 'Delete it from the Runs list.', docs: 'runs.md#damaged-runs-and-what-the-store-reads' },
  E_RUN_GRAPH_CORRUPT: { title: 'The run\'s graph is damaged', action: 'Delete the run, or keep its curves only.', docs: 'runs.md#damaged-runs-and-what-the-store-reads' },
  E_RUN_JOB_CORRUPT: { title: 'The run\'s job file is damaged', action: 'Nothing was changed. Its job may still run where it trained: end it there by hand (kill, scancel), or delete the run.', docs: 'trainer.md#training-elsewhere' },
  E_RUN_LOG_UNREADABLE: { title: 'The run\'s log is damaged', action: 'Delete the run, or keep what is shown.', docs: 'runs.md#damaged-runs-and-what-the-store-reads' },
  E_RUN_NOTHING_TO_RESUME: { title: 'The run already trained all its epochs', action: 'Use Continue training to add more.', docs: 'runs.md#resume-and-continue' },
  E_RUN_NOT_CANCELLABLE: { title: 'The run trains in Netwright\'s engine', action: 'Stop it where it trains: the app\'s Stop, or Ctrl-C where netwright train runs.', docs: 'trainer.md#training-elsewhere' },
  E_RUN_NOT_RUNNING: { title: 'The run is not running', action: 'Pick a run that is still training (netwright runs list).', docs: 'trainer.md#training-elsewhere' },
  E_RUN_NO_CHECKPOINT: { title: 'The run kept no checkpoint', action: 'Train it again to export it.', docs: 'export.md#errors' },
  E_RUN_WRITE: { title: 'The run store could not be written', action: 'Free disk space, make the run folder writable, or name a folder (not a file) for the runs.', docs: 'runs.md#damaged-runs-and-what-the-store-reads' },
  E_SAMPLE_NOT_TEXT: { title: 'The model does not continue text', action: 'Sample from a character-level language model.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_SAMPLE_OPTIONS: { title: 'A sampling option is out of range', action: 'Set the length and temperature in their ranges.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_SETTING_INVALID: { title: 'A setting cannot be used', action: 'Fix the highlighted setting.', docs: 'data.md#in-the-app' },
  E_SHAPE_MISMATCH: { title: 'The shapes do not fit', action: 'Follow the hint in the message (e.g. add a Flatten or change a width).', docs: 'ir.md#diagnostic-codes' },
  E_SWEEP_INVALID: { title: 'The sweep is not valid', action: 'Fix the sweep\'s setting and values.', docs: 'runs.md#the-run-store' },
  E_TARGET_CONNECTION: { title: 'The connection to the run\'s machine was lost', action: 'The job runs on there: netwright runs show RUN follows it again once the machine answers; netwright runs cancel RUN ends it.', docs: 'trainer.md#training-elsewhere' },
  E_TARGET_FAILED: { title: 'The run failed where it trained', action: 'Read the run\'s log (netwright runs log RUN): it names the process that ended and why.', docs: 'trainer.md#training-elsewhere' },
  E_TARGET_LAUNCH: { title: 'The target could not be started', action: 'Install PyTorch for the Python the message names (or set NETWRIGHT_TORCH_PYTHON), then train again.', docs: 'trainer.md#training-elsewhere' },
  E_TARGET_SPEC: { title: 'The target is not understood', action: 'Write --on as local, torchrun:N, ssh:user@host[:dir] or slurm[:partition=…,nodes=…].', docs: 'trainer.md#training-elsewhere' },
  E_TARGET_UNAVAILABLE: { title: 'This engine cannot train elsewhere', action: 'Train with Where set to local, or from the command line: netwright train --on TARGET.', docs: 'trainer.md#training-elsewhere' },
  E_TOO_LARGE: { title: 'The graph is too large', action: 'Split it, or remove nodes.', docs: 'ir.md#diagnostic-codes' },
  E_TRAIN: { title: 'Training failed', action: 'Fix the cause the message names and train again.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_TRAINING: { title: 'The training section is malformed', action: 'Set the training settings again in the app.', docs: 'ir.md#diagnostic-codes' },
  E_TRAIN_CONTROL: { title: 'The run could not be controlled', action: 'Try again.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_TRAIN_NO_LOADED_MODEL: { title: 'No loaded weights to start from', action: 'Import the model or open the project saved with its weights, or start fresh.', docs: 'ir.md#where-a-run-starts-trainingstartfrom' },
  E_TRAIN_NO_RUN: { title: 'There is no such run', action: 'Start a new run.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_TRAIN_PACE: { title: 'The pace is not valid', action: 'Pick a pace from the list.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_TRAIN_START: { title: 'The run could not start', action: 'Fix the cause the message names and train again.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_TRAIN_TOO_MUCH_MEMORY: { title: 'Training would need too much memory', action: 'Use the batch size the message names, freeze more layers, or narrow them.', docs: 'security.md#datasets-src-enginenodedata-accessts-datasetsts-coredata' },
  E_TRAIN_UNAVAILABLE: { title: 'This engine cannot train', action: 'Start Netwright with training support.', docs: 'training-protocol.md#requests-renderer--engine' },
  E_UNKNOWN_OP: { title: 'A node uses an unknown op', action: 'Replace it with an op from the palette.', docs: 'ir.md#diagnostic-codes' },
  E_UPLOAD: { title: 'The upload failed', action: 'Try the upload again.', docs: 'data.md#in-the-app' },
  E_UPLOAD_EMPTY: { title: 'Nothing to upload', action: 'Choose a .csv, .tsv, .npz, two .npy files, or a folder of images.', docs: 'data.md#in-the-app' },
  E_VERSION: { title: 'The graph\'s version is malformed', action: 'Export the graph again from Netwright.', docs: 'ir.md#diagnostic-codes' },
  E_VERSION_NEWER: { title: 'The graph is from a newer Netwright', action: 'Update Netwright to open it.', docs: 'ir.md#diagnostic-codes' },
  E_WEIGHTS_FILE: { title: 'The weights file cannot be read', action: 'Pick a .safetensors file or a state_dict saved by torch.save (PyTorch 1.6 or newer).', docs: 'export.md#loading-weights-safetensors-and-state_dict' },
  E_WEIGHTS_MISMATCH: { title: 'The weights do not fit the design', action: 'Load the weights into the design they were saved from; the message lists each tensor whose name or shape differs.', docs: 'export.md#loading-weights-safetensors-and-state_dict' },
  E_WEIGHTS_PICKLE: { title: 'The state_dict holds more than plain tensors', action: 'Do not load a file you do not trust; save the weights as safetensors, or as torch.save(model.state_dict(), path).', docs: 'export.md#loading-weights-safetensors-and-state_dict' },
  E_WEIGHTS_STREAM: { title: 'The project\'s weights did not arrive whole', action: 'Open (or save) the project again; nothing was loaded or written from the broken transfer.', docs: 'export.md#weights-kept-with-the-project' },
  GAN_D_WINS: { title: 'The discriminator wins every step', action: 'Lower the discriminator\'s learning rate or train the generator more often.', docs: 'trainer.md#training-a-gan' },
  GAN_MODE_COLLAPSE: { title: 'The samples became alike (mode collapse)', action: 'Lower the learning rates, or restart from an earlier checkpoint.', docs: 'trainer.md#training-a-gan' },
  HEALTH_DEAD_RELU: { title: 'Many ReLUs never fire', action: 'Lower the learning rate, or use LeakyReLU.', docs: 'training-protocol.md#probes' },
  HEALTH_EXPLODING_GRAD: { title: 'Gradients are exploding', action: 'Lower the learning rate, or clip gradients.', docs: 'training-protocol.md#probes' },
  HEALTH_LARGE_UPDATES: { title: 'Updates are large for the weights', action: 'Lower the learning rate.', docs: 'training-protocol.md#probes' },
  HEALTH_NONFINITE: { title: 'NaN or infinite values appear', action: 'Lower the learning rate; check the data for NaN.', docs: 'training-protocol.md#probes' },
  HEALTH_SATURATED: { title: 'Activations are saturated', action: 'Normalise the inputs, or add BatchNorm.', docs: 'designer.md#hints-that-are-right' },
  HEALTH_VANISHING_GRAD: { title: 'Gradients are vanishing', action: 'Use ReLU, BatchNorm or residual connections.', docs: 'training-protocol.md#probes' },
  INIT_BAD_FAN: { title: 'An initialisation has no fan to scale by', action: 'Pick another initialisation for the parameter.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  INIT_UNKNOWN_KIND: { title: 'The initialisation is unknown', action: 'Pick one of the initialisations listed.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  OPTIM_BAD_HYPERPARAM: { title: 'An optimizer setting is out of range', action: 'Set it in its range (the message names it).', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  OPTIM_GRAD_SIZE: { title: 'A gradient does not fit its parameter', action: 'Report it: it is a bug in Netwright.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  OPTIM_STATE_MISMATCH: { title: 'The optimizer state does not fit', action: 'Resume with the design the run trained, or start fresh.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  OPTIM_UNKNOWN: { title: 'The optimizer is unknown', action: 'Pick one of the optimizers listed.', docs: 'trainer.md#quick-start' },
  PROBE_NO_FIGURES: { title: 'The device frame has no figures', action: 'Run the step with deviceCapture() before taking its frame.', docs: 'training-protocol.md#probes' },
  PROBE_ON_DEVICE: { title: 'The suite probes a device plan', action: 'Take its frames with captureAsync.', docs: 'training-protocol.md#probes' },
  RUN_NOT_FOUND: { title: 'There is no such stored run', action: 'Pick a run from the Runs list (or the run folder).', docs: 'ir.md#where-a-run-starts-trainingstartfrom' },
  SCHEDULE_BAD_CONFIG: { title: 'A schedule setting is out of range', action: 'Set it in its range (the message names it).', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  SCHEDULE_NEEDS_METRIC: { title: 'The plateau schedule needs its metric', action: 'Monitor a metric the run computes.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  SCHEDULE_STATE_MISMATCH: { title: 'The schedule state does not fit', action: 'Resume with the design the run trained, or start fresh.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  SCHEDULE_UNKNOWN: { title: 'The schedule is unknown', action: 'Pick one of the schedules listed.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  SETTING_UNKNOWN: { title: 'The setting is unknown', action: 'Pick one of the settings listed.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  TRAIN_BAD_CONFIG: { title: 'The training settings are not valid', action: 'Fix the setting the message names.', docs: 'trainer.md#quick-start' },
  TRAIN_INPUTS: { title: 'The graph\'s inputs do not fit the trainer', action: 'Use one features Input and at most one target Input.', docs: 'training-protocol.md#requests-renderer--engine' },
  TRAIN_INTERNAL: { title: 'Training failed unexpectedly', action: 'Report it with the stack trace printed.', docs: 'trainer.md#the-trainer-src-enginecoretrain' },
  TRAIN_LR_RANGE: { title: 'The learning-rate range is not valid', action: 'Give a start rate below the end rate (both > 0) and 5 to 1000 steps.', docs: 'trainer.md#finding-a-learning-rate' },
  TRAIN_NONFINITE_LOSS: { title: 'The loss became NaN or infinite', action: 'Lower the learning rate, or check the data for NaN.', docs: 'architecture.md#the-training-loop-src-enginecoretrainloopts' },
  TRAIN_NO_CONFIG: { title: 'The graph has no training settings', action: 'Add a loss and a dataset in the app, or a "training" section.', docs: 'trainer.md#evaluating-a-model' },
  TRAIN_SHAPE_MISMATCH: { title: 'The data does not fit the graph\'s inputs', action: 'Change the Input\'s shape to the data\'s, or fit the design to the data.', docs: 'data.md#tables' },
  TRAIN_TASK_MISMATCH: { title: 'The loss does not fit the data\'s task', action: 'Use a loss for the data\'s targets (MSELoss for values, CrossEntropyLoss for classes), or fit the design to the data.', docs: 'data.md#tables' },
  W_ALL_FROZEN: { title: 'Every layer is frozen', action: 'Unfreeze at least the head (Inspector ▸ Fine-tuning).', docs: 'ir.md#diagnostic-codes' },
  W_IMPORT_BATCH: { title: 'The file fixed its batch size; it is read for any', action: 'Nothing to do: Netwright trains and predicts on any batch size.', docs: 'export.md#import' },
  W_IMPORT_CLASSIFIER: { title: 'A classifier was recognised and a loss added', action: 'Remove the added label Input and loss if it is not a classifier.', docs: 'export.md#in-the-app' },
  W_IMPORT_EDITED: { title: 'The export was edited since; the graph was rebuilt', action: 'Set the losses, Dropout and training settings again.', docs: 'export.md#import' },
  W_IMPORT_METADATA: { title: "The file's tokenizer or table encoding is damaged and was left out", action: 'Export the model again from the run that trained it; until then it takes encoded inputs only.', docs: 'export.md#import' },
  W_IMPORT_NONFINITE: { title: 'An imported weight holds NaN or infinite values', action: 'Fix the model where it was made, or train it again here.', docs: 'export.md#import' },
  W_LOSS_TARGET: { title: 'The loss compares against something other than a target Input', action: 'Feed its second input from an Input with source "target".', docs: 'ir.md#diagnostic-codes' },
  W_MIGRATED: { title: 'Upgraded from an older format', action: 'Save the project to keep the new format.', docs: 'ir.md#diagnostic-codes' },
  W_NODE_GROUP: { title: 'A node group is left out', action: 'Fix or remove the group.', docs: 'ir.md#node-groups-groups-v3' },
  W_NO_OUTPUTS: { title: 'The graph names no outputs', action: 'Mark the prediction node as an output.', docs: 'ir.md#diagnostic-codes' },
  W_UNKNOWN_ATTR: { title: 'An attribute is unknown and ignored', action: 'Remove it, or check its spelling.', docs: 'ir.md#diagnostic-codes' },
  W_UNUSED_NODE: { title: 'A node feeds no output and no loss', action: 'Connect it, or delete it.', docs: 'ir.md#diagnostic-codes' },
} as const satisfies Record<string, ErrorEntry>;

/** A code in the table. Error classes and helpers take this, so a misspelt code does not compile. */
export type ErrorCode = keyof typeof ERRORS;

/** Whether `code` is one of the table's. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** The table's entry for `code`, or undefined for a code it does not hold (a system error's `ENOENT`). */
export function errorEntry(code: string | undefined): ErrorEntry | undefined {
  return isErrorCode(code) ? ERRORS[code] : undefined;
}

/** What the user does next about `code`, or undefined for a code the table does not hold. */
export function nextAction(code: string | undefined): string | undefined {
  return errorEntry(code)?.action;
}


/**
 * What a code means and what to do, in one line for a tooltip where the code is shown (Problems,
 * a notice): `The graph has a cycle. Remove one of the connections the message lists. (docs/ir.md#diagnostic-codes)`;
 * undefined for a code the table does not hold.
 */
export function explainCode(code: string | undefined): string | undefined {
  const entry = errorEntry(code);
  return entry && `${entry.title}. ${entry.action} (docs/${entry.docs})`;
}

/**
 * A code read off a caught error: its thrower's type checked it, or it is a system error's that
 * escaped (`ENOENT`). Only `thrownCode` makes one, so a code literal must be an `ErrorCode`.
 */
export type ThrownCode = string & { readonly __thrown: true };

/** `e`'s `code` when it has one (kept as it is), else `fallback`. */
export function thrownCode(e: unknown, fallback: ErrorCode): ErrorCode | ThrownCode {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? (code as ThrownCode) : fallback;
}

/**
 * A command-line tool's error, as it prints it: `error CODE: message`, then, for a code in the
 * table, what to do and where the docs say more (as rustc's `help:` and `--explain`).
 *
 * @example
 *   cliErrorText('CLI_NO_FILE', 'net.json: no such file.')
 *   // → 'error CLI_NO_FILE: net.json: no such file.\n  help: Check the path. (docs/trainer.md#quick-start)\n'
 */
export function cliErrorText(code: string, message: string): string {
  const entry = errorEntry(code);
  return `error ${code}: ${message}\n` + (entry ? `  help: ${entry.action} (docs/${entry.docs})\n` : '');
}

/** The same for a `--json` line: the code, the message and, for a code in the table, `action` and `docs`. */
export function cliErrorJson(code: string, message: string, extra?: Record<string, unknown>): string {
  const entry = errorEntry(code);
  return JSON.stringify({ type: 'error', code, message, ...extra, ...(entry && { action: entry.action, docs: `docs/${entry.docs}` }) }) + '\n';
}
