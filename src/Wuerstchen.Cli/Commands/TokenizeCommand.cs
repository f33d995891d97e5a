using System.CommandLine;

namespace Wuerstchen.Cli.Commands;

public static class TokenizeCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("tokenize", "Show the CLIP token ids of a prompt.");
        command.SetAction(_ => { context.Error.WriteLine("tokenize: not yet available"); return CliApp.ExitFailure; });
        return command;
    }
}
