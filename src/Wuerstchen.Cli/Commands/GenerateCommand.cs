using System.CommandLine;

namespace Wuerstchen.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("generate", "Generate images from a prompt.");
        command.SetAction(_ => { context.Error.WriteLine("generate: not yet available"); return CliApp.ExitFailure; });
        return command;
    }
}
