using Spectre.Console;

namespace Wuerstchen.Cli;

/// <summary>Where a command writes and when it must stop; tests pass string writers, the tool passes the console.</summary>
/// <param name="Output">Results (tables, token ids, JSON).</param>
/// <param name="Error">Diagnostics and progress.</param>
/// <param name="ErrorIsTerminal">Draw live progress bars on <paramref name="Error"/> (else plain progress lines).</param>
public sealed record CliContext(TextWriter Output, TextWriter Error, bool ErrorIsTerminal, CancellationToken Cancellation)
{
    public static CliContext ForConsole(CancellationToken cancellation) =>
        new(Console.Out, Console.Error, !Console.IsErrorRedirected, cancellation);

    public static CliContext ForWriters(TextWriter output, TextWriter error) => new(output, error, false, CancellationToken.None);

    /// <summary>A Spectre console over <see cref="Output"/> (plain text, wide lines, when it is not a terminal).</summary>
    public IAnsiConsole OutputConsole()
    {
        bool terminal = ReferenceEquals(Output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(Output),
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = 160;
        return console;
    }
}
