// The `wuerstchen` command-line tool: a thin shell over the Wuerstchen library.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
return Wuerstchen.Cli.CliApp.Run(args, Wuerstchen.Cli.CliContext.ForConsole(cancel.Token));
