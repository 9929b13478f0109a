// SPDX-License-Identifier: Apache-2.0
return await Updater.Cli.CliApp.RunAsync(args).ConfigureAwait(false);
